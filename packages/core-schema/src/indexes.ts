/**
 * Indexes `core@1.1.0` creates on both PostgreSQL and SQLite, under the same names, in creation
 * order. Foreign-key columns that lead a primary key or UNIQUE constraint (`users.tenant_id`,
 * `roles.tenant_id`, `user_roles.user_id`, `visual_models.tenant_id`,
 * `custom_components.tenant_id`) get no index of their own: the constraint's index already serves
 * joins and cascades, and a duplicate would only slow writes.
 */
export const CORE_INDEXES = [
  // tenants
  'idx_tenants_status',
  'idx_tenants_created_at',
  // users
  'idx_users_email',
  'idx_users_status',
  'idx_users_last_login',
  'idx_users_created_at',
  'idx_users_tenant_id_active',
  // roles
  'idx_roles_parent_role_id',
  'idx_roles_created_at',
  // user_roles
  'idx_user_roles_role_id',
  'idx_user_roles_tenant_id',
  'idx_user_roles_granted_by',
  'idx_user_roles_expires_at',
  // audit_logs
  'idx_audit_logs_tenant_id_created_at',
  'idx_audit_logs_user_id_created_at',
  'idx_audit_logs_action',
  'idx_audit_logs_resource_type_resource_id',
  'idx_audit_logs_created_at',
  // visual_models
  'idx_visual_models_created_by',
  'idx_visual_models_name',
  'idx_visual_models_status',
  'idx_visual_models_model_type',
  'idx_visual_models_updated_at',
  'idx_visual_models_tenant_id_updated_at',
  'idx_visual_models_model_type_public',
  // execution_records
  'idx_execution_records_tenant_id_started_at',
  'idx_execution_records_model_id_started_at',
  'idx_execution_records_user_id',
  'idx_execution_records_status',
  'idx_execution_records_started_at',
  'idx_execution_records_started_at_unfinished',
  // custom_components
  'idx_custom_components_created_by',
  'idx_custom_components_component_type',
  'idx_custom_components_name',
  'idx_custom_components_status',
  'idx_custom_components_updated_at',
  'idx_custom_components_component_type_public',
] as const;

/**
 * PostgreSQL-only GIN indexes on JSONB columns (`core@1.1.0`), for containment queries such as
 * `permissions @> '["models:write"]'`. SQLite stores JSON as text and has no equivalent.
 */
export const POSTGRES_ONLY_INDEXES = ['idx_roles_permissions', 'idx_visual_models_metadata', 'idx_custom_components_metadata'] as const;

/** Every index `core@1.1.0` creates, per dialect. */
export const CORE_INDEXES_BY_DIALECT = {
  postgres: [...CORE_INDEXES, ...POSTGRES_ONLY_INDEXES],
  sqlite: [...CORE_INDEXES],
} as const satisfies Record<'postgres' | 'sqlite', readonly string[]>;

/** One of {@link CORE_INDEXES} or {@link POSTGRES_ONLY_INDEXES}. */
export type CoreIndexName = (typeof CORE_INDEXES)[number] | (typeof POSTGRES_ONLY_INDEXES)[number];
