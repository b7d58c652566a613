/**
 * `core@1.1.0` on SQLite: the B-tree indexes of {@link CORE_INDEXES}, under the same names as on
 * PostgreSQL (partial ones included: SQLite supports `WHERE` on indexes). Released text: any edit,
 * even whitespace, changes the checksum of a migration databases have already applied.
 */
export const SQLITE_ADD_INDEXES_UP = `-- tenants
CREATE INDEX idx_tenants_status ON tenants (status);
CREATE INDEX idx_tenants_created_at ON tenants (created_at);

-- users
CREATE INDEX idx_users_email ON users (email);
CREATE INDEX idx_users_status ON users (status);
CREATE INDEX idx_users_last_login ON users (last_login);
CREATE INDEX idx_users_created_at ON users (created_at);
CREATE INDEX idx_users_tenant_id_active ON users (tenant_id) WHERE status = 'active';

-- roles
CREATE INDEX idx_roles_parent_role_id ON roles (parent_role_id);
CREATE INDEX idx_roles_created_at ON roles (created_at);

-- user_roles
CREATE INDEX idx_user_roles_role_id ON user_roles (role_id);
CREATE INDEX idx_user_roles_tenant_id ON user_roles (tenant_id);
CREATE INDEX idx_user_roles_granted_by ON user_roles (granted_by);
CREATE INDEX idx_user_roles_expires_at ON user_roles (expires_at) WHERE expires_at IS NOT NULL;

-- audit_logs
CREATE INDEX idx_audit_logs_tenant_id_created_at ON audit_logs (tenant_id, created_at);
CREATE INDEX idx_audit_logs_user_id_created_at ON audit_logs (user_id, created_at);
CREATE INDEX idx_audit_logs_action ON audit_logs (action);
CREATE INDEX idx_audit_logs_resource_type_resource_id ON audit_logs (resource_type, resource_id);
CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at);

-- visual_models
CREATE INDEX idx_visual_models_created_by ON visual_models (created_by);
CREATE INDEX idx_visual_models_name ON visual_models (name);
CREATE INDEX idx_visual_models_status ON visual_models (status);
CREATE INDEX idx_visual_models_model_type ON visual_models (model_type);
CREATE INDEX idx_visual_models_updated_at ON visual_models (updated_at);
CREATE INDEX idx_visual_models_tenant_id_updated_at ON visual_models (tenant_id, updated_at);
CREATE INDEX idx_visual_models_model_type_public ON visual_models (model_type) WHERE is_public = 1;

-- execution_records
CREATE INDEX idx_execution_records_tenant_id_started_at ON execution_records (tenant_id, started_at);
CREATE INDEX idx_execution_records_model_id_started_at ON execution_records (model_id, started_at);
CREATE INDEX idx_execution_records_user_id ON execution_records (user_id);
CREATE INDEX idx_execution_records_status ON execution_records (status);
CREATE INDEX idx_execution_records_started_at ON execution_records (started_at);
CREATE INDEX idx_execution_records_started_at_unfinished ON execution_records (started_at) WHERE status IN ('pending', 'running');

-- custom_components
CREATE INDEX idx_custom_components_created_by ON custom_components (created_by);
CREATE INDEX idx_custom_components_component_type ON custom_components (component_type);
CREATE INDEX idx_custom_components_name ON custom_components (name);
CREATE INDEX idx_custom_components_status ON custom_components (status);
CREATE INDEX idx_custom_components_updated_at ON custom_components (updated_at);
CREATE INDEX idx_custom_components_component_type_public ON custom_components (component_type) WHERE is_public = 1;
`;

/** Reverts {@link SQLITE_ADD_INDEXES_UP}. */
export const SQLITE_ADD_INDEXES_DOWN = `DROP INDEX IF EXISTS idx_custom_components_component_type_public;
DROP INDEX IF EXISTS idx_custom_components_updated_at;
DROP INDEX IF EXISTS idx_custom_components_status;
DROP INDEX IF EXISTS idx_custom_components_name;
DROP INDEX IF EXISTS idx_custom_components_component_type;
DROP INDEX IF EXISTS idx_custom_components_created_by;
DROP INDEX IF EXISTS idx_execution_records_started_at_unfinished;
DROP INDEX IF EXISTS idx_execution_records_started_at;
DROP INDEX IF EXISTS idx_execution_records_status;
DROP INDEX IF EXISTS idx_execution_records_user_id;
DROP INDEX IF EXISTS idx_execution_records_model_id_started_at;
DROP INDEX IF EXISTS idx_execution_records_tenant_id_started_at;
DROP INDEX IF EXISTS idx_visual_models_model_type_public;
DROP INDEX IF EXISTS idx_visual_models_tenant_id_updated_at;
DROP INDEX IF EXISTS idx_visual_models_updated_at;
DROP INDEX IF EXISTS idx_visual_models_model_type;
DROP INDEX IF EXISTS idx_visual_models_status;
DROP INDEX IF EXISTS idx_visual_models_name;
DROP INDEX IF EXISTS idx_visual_models_created_by;
DROP INDEX IF EXISTS idx_audit_logs_created_at;
DROP INDEX IF EXISTS idx_audit_logs_resource_type_resource_id;
DROP INDEX IF EXISTS idx_audit_logs_action;
DROP INDEX IF EXISTS idx_audit_logs_user_id_created_at;
DROP INDEX IF EXISTS idx_audit_logs_tenant_id_created_at;
DROP INDEX IF EXISTS idx_user_roles_expires_at;
DROP INDEX IF EXISTS idx_user_roles_granted_by;
DROP INDEX IF EXISTS idx_user_roles_tenant_id;
DROP INDEX IF EXISTS idx_user_roles_role_id;
DROP INDEX IF EXISTS idx_roles_created_at;
DROP INDEX IF EXISTS idx_roles_parent_role_id;
DROP INDEX IF EXISTS idx_users_tenant_id_active;
DROP INDEX IF EXISTS idx_users_created_at;
DROP INDEX IF EXISTS idx_users_last_login;
DROP INDEX IF EXISTS idx_users_status;
DROP INDEX IF EXISTS idx_users_email;
DROP INDEX IF EXISTS idx_tenants_created_at;
DROP INDEX IF EXISTS idx_tenants_status;
`;
