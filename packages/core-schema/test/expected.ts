/** What the `core` schema must hold on every dialect: the tests' reference, written out by hand. */

/** `table.column -> referenced table, ON DELETE action`, for every foreign key of `core@1.0.0`. */
export const EXPECTED_FOREIGN_KEYS: Record<string, string> = {
  'users.tenant_id': 'tenants CASCADE',
  'roles.tenant_id': 'tenants CASCADE',
  'roles.parent_role_id': 'roles SET NULL',
  'user_roles.user_id': 'users CASCADE',
  'user_roles.role_id': 'roles CASCADE',
  'user_roles.tenant_id': 'tenants CASCADE',
  'user_roles.granted_by': 'users SET NULL',
  'audit_logs.tenant_id': 'tenants CASCADE',
  'audit_logs.user_id': 'users SET NULL',
  'visual_models.tenant_id': 'tenants CASCADE',
  'visual_models.created_by': 'users SET NULL',
  'execution_records.tenant_id': 'tenants CASCADE',
  'execution_records.model_id': 'visual_models CASCADE',
  'execution_records.user_id': 'users SET NULL',
  'custom_components.tenant_id': 'tenants CASCADE',
  'custom_components.created_by': 'users SET NULL',
};

/** `table(col, …)` for every primary key and UNIQUE constraint of `core@1.0.0`, sorted. */
export const EXPECTED_KEYS = [
  'audit_logs(id)',
  'custom_components(id)',
  'custom_components(tenant_id, name, version)',
  'execution_records(id)',
  'roles(id)',
  'roles(tenant_id, name)',
  'tenants(domain)',
  'tenants(id)',
  'user_roles(user_id, role_id)',
  'users(id)',
  'users(tenant_id, email)',
  'users(tenant_id, username)',
  'visual_models(id)',
  'visual_models(tenant_id, name, version)',
];

/** A random (version 4, RFC 4122 variant) UUID in canonical lower-case text. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Sorted copy, for order-insensitive comparisons. */
export function sorted<T>(values: Iterable<T>): T[] {
  return [...values].sort();
}
