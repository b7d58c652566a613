/**
 * Rows of the `core` tables as the application reads them.
 *
 * The types follow PostgreSQL through `pg`, which parses JSONB and returns BOOLEAN as `boolean`.
 * On SQLite (`better-sqlite3`) three things differ, and the types mark where:
 * - timestamps are text (`YYYY-MM-DD HH:MM:SS`, UTC) where `pg` gives a `Date`: {@link Timestamp};
 * - booleans are `0`/`1`: {@link SqlBoolean};
 * - JSON columns come back as their text: pass them through `JSON.parse` before use. Write JSON
 *   with `JSON.stringify`; a value that is not valid JSON is refused by a CHECK constraint.
 *
 * Ids are UUIDs in canonical lower-case text on both dialects.
 */

/** A UUID in canonical text form (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx` when generated). */
export type Uuid = string;

/**
 * A `TIMESTAMP` (without time zone, UTC by convention) column: a `Date` from `pg`, text
 * (`YYYY-MM-DD HH:MM:SS`) from SQLite.
 */
export type Timestamp = string | Date;

/** A boolean column: `boolean` from `pg`, `0`/`1` from SQLite. */
export type SqlBoolean = boolean | 0 | 1;

/** A JSON object column (JSONB on PostgreSQL, JSON text on SQLite). */
export type JsonObject = Record<string, unknown>;

/** `tenants.status`. */
export type TenantStatus = 'active' | 'suspended' | 'deleted';

/** `users.status`. */
export type UserStatus = 'active' | 'inactive' | 'suspended' | 'deleted';

/** `visual_models.status`. */
export type VisualModelStatus = 'draft' | 'published' | 'archived' | 'deleted';

/** `execution_records.status`. */
export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout';

/** `custom_components.status`. */
export type CustomComponentStatus = 'draft' | 'published' | 'deprecated' | 'archived';

/** A tenant: the unit of isolation; deleting one deletes everything it owns. */
export interface TenantRow {
  id: Uuid;
  name: string;
  /** Unique across tenants. */
  domain: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  status: TenantStatus;
  configuration: JsonObject | null;
  resource_limits: JsonObject | null;
  billing_info: JsonObject | null;
}

/** A user of one tenant; `username` and `email` are unique within the tenant. */
export interface UserRow {
  id: Uuid;
  tenant_id: Uuid;
  username: string;
  email: string;
  password_hash: string;
  created_at: Timestamp;
  last_login: Timestamp | null;
  status: UserStatus;
  profile: JsonObject | null;
  preferences: JsonObject | null;
}

/** A role of one tenant; `name` is unique within the tenant. */
export interface RoleRow {
  id: Uuid;
  tenant_id: Uuid;
  name: string;
  description: string | null;
  /** A JSON array, by convention of permission strings (`"models:write"`). */
  permissions: unknown[] | null;
  /** The role this one inherits from; set to NULL when that role is deleted. */
  parent_role_id: Uuid | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A role granted to a user (primary key `(user_id, role_id)`). */
export interface UserRoleRow {
  user_id: Uuid;
  role_id: Uuid;
  /** The tenant of both user and role, kept here to list a tenant's grants without joins. */
  tenant_id: Uuid;
  granted_at: Timestamp;
  /** The user who granted it; NULL when unknown or since deleted. */
  granted_by: Uuid | null;
  /** When the grant lapses; NULL for a permanent grant. */
  expires_at: Timestamp | null;
}

/** One audited action. */
export interface AuditLogRow {
  id: Uuid;
  /** NULL for platform-level events. */
  tenant_id: Uuid | null;
  /** The acting user; NULL for system actions or once the user is deleted. */
  user_id: Uuid | null;
  /** What happened, e.g. `model.update`. */
  action: string;
  resource_type: string;
  /** Text, so ids that are not UUIDs fit too. */
  resource_id: string | null;
  details: JsonObject | null;
  /** IPv4 or IPv6 text (at most 45 characters). */
  ip_address: string | null;
  user_agent: string | null;
  created_at: Timestamp;
}

/** One version of a visual model; `(tenant_id, name, version)` is unique. */
export interface VisualModelRow {
  id: Uuid;
  tenant_id: Uuid;
  /** Set to NULL when the creating user is deleted. */
  created_by: Uuid | null;
  name: string;
  description: string | null;
  model_type: string;
  /** 1 and up. */
  version: number;
  /** The model itself (nodes, edges, …). */
  definition: JsonObject;
  metadata: JsonObject | null;
  status: VisualModelStatus;
  is_public: SqlBoolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One run of a visual model; deleted with its model. */
export interface ExecutionRecordRow {
  id: Uuid;
  tenant_id: Uuid;
  model_id: Uuid;
  /** Who started it; NULL for scheduled runs or once the user is deleted. */
  user_id: Uuid | null;
  status: ExecutionStatus;
  input_data: unknown;
  /** NULL until the run produces output. */
  output_data: unknown;
  error_message: string | null;
  started_at: Timestamp;
  /** Not before `started_at`. */
  completed_at: Timestamp | null;
  /** Wall time in milliseconds (INTEGER: up to about 24 days). */
  duration_ms: number | null;
  resource_usage: JsonObject | null;
}

/** One version of a custom component; `(tenant_id, name, version)` is unique. */
export interface CustomComponentRow {
  id: Uuid;
  tenant_id: Uuid;
  /** Set to NULL when the creating user is deleted. */
  created_by: Uuid | null;
  name: string;
  description: string | null;
  component_type: string;
  /** Free-form version text, `1.0.0` by default. */
  version: string;
  definition: JsonObject;
  /** Source code of the component, if it has any. */
  code: string | null;
  metadata: JsonObject | null;
  is_public: SqlBoolean;
  status: CustomComponentStatus;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Each core table's row type, by table name. */
export interface CoreRows {
  tenants: TenantRow;
  users: UserRow;
  roles: RoleRow;
  user_roles: UserRoleRow;
  audit_logs: AuditLogRow;
  visual_models: VisualModelRow;
  execution_records: ExecutionRecordRow;
  custom_components: CustomComponentRow;
}
