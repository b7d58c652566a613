/**
 * A random UUID v4 in canonical lower-case text, as an SQLite column default (expressions in
 * parentheses are allowed: https://sqlite.org/lang_createtable.html#dfltval). `random() & 3`
 * picks the variant nibble; unlike `abs(random())` it cannot overflow.
 */
const SQLITE_RANDOM_UUID =
  "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))";

/**
 * `core@1.0.0` on SQLite: the PostgreSQL schema with TEXT ids defaulting to a random UUID v4,
 * JSON as TEXT checked by `json_valid`, timestamps as TEXT (`YYYY-MM-DD HH:MM:SS`, UTC) and
 * booleans as INTEGER 0/1. Foreign keys are only enforced with `PRAGMA foreign_keys = ON`.
 * Released text: any edit, even whitespace, changes the checksum of a migration databases have
 * already applied.
 */
export const SQLITE_INITIAL_SCHEMA_UP = `-- Multi-tenancy support
CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL DEFAULT ${SQLITE_RANDOM_UUID},
    name TEXT NOT NULL,
    domain TEXT UNIQUE NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    status TEXT NOT NULL DEFAULT 'active',
    configuration TEXT DEFAULT '{}' CHECK (json_valid(configuration)),
    resource_limits TEXT DEFAULT '{}' CHECK (json_valid(resource_limits)),
    billing_info TEXT DEFAULT '{}' CHECK (json_valid(billing_info)),
    CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended', 'deleted'))
);

-- User management
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL DEFAULT ${SQLITE_RANDOM_UUID},
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_login TEXT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    profile TEXT DEFAULT '{}' CHECK (json_valid(profile)),
    preferences TEXT DEFAULT '{}' CHECK (json_valid(preferences)),
    UNIQUE(tenant_id, username),
    UNIQUE(tenant_id, email),
    CONSTRAINT users_status_check CHECK (status IN ('active', 'inactive', 'suspended', 'deleted'))
);

-- Role-based access control
CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL DEFAULT ${SQLITE_RANDOM_UUID},
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    permissions TEXT DEFAULT '[]' CHECK (json_valid(permissions)),
    parent_role_id TEXT NULL REFERENCES roles(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE(tenant_id, name)
);

-- Role assignments; tenant_id is denormalised so a tenant's grants are listed without joins
CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    granted_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    granted_by TEXT NULL REFERENCES users(id) ON DELETE SET NULL,
    expires_at TEXT NULL,
    PRIMARY KEY (user_id, role_id)
);

-- Audit trail; tenant_id is NULL for platform-level events
CREATE TABLE audit_logs (
    id TEXT PRIMARY KEY NOT NULL DEFAULT ${SQLITE_RANDOM_UUID},
    tenant_id TEXT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id TEXT NULL REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NULL,
    details TEXT DEFAULT '{}' CHECK (json_valid(details)),
    ip_address TEXT NULL,
    user_agent TEXT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Visual model storage; each saved version is a row
CREATE TABLE visual_models (
    id TEXT PRIMARY KEY NOT NULL DEFAULT ${SQLITE_RANDOM_UUID},
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    created_by TEXT NULL REFERENCES users(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    description TEXT,
    model_type TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    definition TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(definition)),
    metadata TEXT DEFAULT '{}' CHECK (json_valid(metadata)),
    status TEXT NOT NULL DEFAULT 'draft',
    is_public INTEGER NOT NULL DEFAULT 0 CHECK (is_public IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE(tenant_id, name, version),
    CONSTRAINT visual_models_version_check CHECK (version >= 1),
    CONSTRAINT visual_models_status_check CHECK (status IN ('draft', 'published', 'archived', 'deleted'))
);

-- Execution history of visual models
CREATE TABLE execution_records (
    id TEXT PRIMARY KEY NOT NULL DEFAULT ${SQLITE_RANDOM_UUID},
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL REFERENCES visual_models(id) ON DELETE CASCADE,
    user_id TEXT NULL REFERENCES users(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    input_data TEXT DEFAULT '{}' CHECK (json_valid(input_data)),
    output_data TEXT NULL CHECK (json_valid(output_data)),
    error_message TEXT NULL,
    started_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at TEXT NULL,
    duration_ms INTEGER NULL,
    resource_usage TEXT DEFAULT '{}' CHECK (json_valid(resource_usage)),
    CONSTRAINT execution_records_status_check CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled', 'timeout')),
    CONSTRAINT execution_records_duration_ms_check CHECK (duration_ms IS NULL OR duration_ms >= 0),
    CONSTRAINT execution_records_completed_at_check CHECK (completed_at IS NULL OR julianday(completed_at) >= julianday(started_at))
);

-- Custom component storage; each released version is a row
CREATE TABLE custom_components (
    id TEXT PRIMARY KEY NOT NULL DEFAULT ${SQLITE_RANDOM_UUID},
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    created_by TEXT NULL REFERENCES users(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    description TEXT,
    component_type TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '1.0.0',
    definition TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(definition)),
    code TEXT NULL,
    metadata TEXT DEFAULT '{}' CHECK (json_valid(metadata)),
    is_public INTEGER NOT NULL DEFAULT 0 CHECK (is_public IN (0, 1)),
    status TEXT NOT NULL DEFAULT 'draft',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE(tenant_id, name, version),
    CONSTRAINT custom_components_status_check CHECK (status IN ('draft', 'published', 'deprecated', 'archived'))
);
`;

/** Reverts {@link SQLITE_INITIAL_SCHEMA_UP}: drops the tables children first. */
export const SQLITE_INITIAL_SCHEMA_DOWN = `DROP TABLE IF EXISTS custom_components;
DROP TABLE IF EXISTS execution_records;
DROP TABLE IF EXISTS visual_models;
DROP TABLE IF EXISTS audit_logs;
DROP TABLE IF EXISTS user_roles;
DROP TABLE IF EXISTS roles;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS tenants;
`;
