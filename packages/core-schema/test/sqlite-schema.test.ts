import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CORE_INDEXES } from '../src/indexes.js';
import { SQLITE_ADD_INDEXES_DOWN, SQLITE_ADD_INDEXES_UP } from '../src/sqlite/1.1.0-add-indexes.js';
import { SQLITE_INITIAL_SCHEMA_DOWN, SQLITE_INITIAL_SCHEMA_UP } from '../src/sqlite/1.0.0-initial-schema.js';
import { CORE_TABLES } from '../src/tables.js';
import { EXPECTED_FOREIGN_KEYS, EXPECTED_KEYS, UUID_V4, sorted } from './expected.js';
import { snapshotSqlite } from './introspect.js';

// The bodies are applied directly, each in a transaction as the migrator runs them.
const directory = mkdtempSync(join(tmpdir(), 'strata-core-schema-'));
let db: Database.Database;
let fileNumber = 0;

function apply(sql: string): void {
  db.transaction(() => db.exec(sql))();
}

function upAll(): void {
  apply(SQLITE_INITIAL_SCHEMA_UP);
  apply(SQLITE_ADD_INDEXES_UP);
}

function insertTenant(domain: string): string {
  return (db.prepare('INSERT INTO tenants (name, domain) VALUES (?, ?) RETURNING id').get(domain, domain) as { id: string }).id;
}

function insertUser(tenantId: string, username: string): string {
  return (
    db
      .prepare("INSERT INTO users (tenant_id, username, email, password_hash) VALUES (?, ?, ?, 'x') RETURNING id")
      .get(tenantId, username, `${username}@example.com`) as { id: string }
  ).id;
}

beforeEach(() => {
  db = new Database(join(directory, `core-${++fileNumber}.db`));
  db.pragma('foreign_keys = ON');
});

afterEach(() => db.close());
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('SQLITE_INITIAL_SCHEMA_UP (core@1.0.0)', () => {
  it('creates exactly the core tables', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    expect(snapshotSqlite(db).tables).toEqual(sorted(CORE_TABLES));
  });

  it('declares the seed columns of tenants, users and roles', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    const { columns } = snapshotSqlite(db);
    expect(columns.tenants).toEqual([
      'id',
      'name',
      'domain',
      'created_at',
      'updated_at',
      'status',
      'configuration',
      'resource_limits',
      'billing_info',
    ]);
    expect(columns.users).toEqual([
      'id',
      'tenant_id',
      'username',
      'email',
      'password_hash',
      'created_at',
      'last_login',
      'status',
      'profile',
      'preferences',
    ]);
    expect(columns.roles).toEqual(['id', 'tenant_id', 'name', 'description', 'permissions', 'parent_role_id', 'created_at', 'updated_at']);
  });

  it('declares every foreign key with its ON DELETE action', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    expect(snapshotSqlite(db).foreignKeys).toEqual(EXPECTED_FOREIGN_KEYS);
    expect(db.prepare('SELECT * FROM pragma_foreign_key_check').all()).toEqual([]);
  });

  it('declares the primary keys and UNIQUE constraints', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    expect(snapshotSqlite(db).keys).toEqual(EXPECTED_KEYS);
  });

  it('fills ids with random UUID v4 text, timestamps and JSON defaults', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    const ids = db.transaction(() => Array.from({ length: 500 }, (_, i) => insertTenant(`t${i}.example.com`)))();
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
    const tenant = db.prepare('SELECT * FROM tenants WHERE id = ?').get(ids[0]) as Record<string, unknown>;
    expect(tenant).toMatchObject({ status: 'active', configuration: '{}', resource_limits: '{}', billing_info: '{}' });
    expect(tenant.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const role = db.prepare("INSERT INTO roles (tenant_id, name) VALUES (?, 'admin') RETURNING *").get(ids[0]) as Record<string, unknown>;
    expect(role.permissions).toBe('[]');
    const model = db
      .prepare("INSERT INTO visual_models (tenant_id, name, model_type) VALUES (?, 'flow', 'dataflow') RETURNING *")
      .get(ids[0]) as Record<string, unknown>;
    expect(model).toMatchObject({ version: 1, definition: '{}', status: 'draft', is_public: 0 });
  });

  it('cascades a tenant delete to everything it owns', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    const tenantId = insertTenant('acme.example.com');
    const otherTenantId = insertTenant('other.example.com');
    const userId = insertUser(tenantId, 'ada');
    insertUser(otherTenantId, 'ada');
    const roleId = (db.prepare("INSERT INTO roles (tenant_id, name) VALUES (?, 'admin') RETURNING id").get(tenantId) as { id: string }).id;
    db.prepare('INSERT INTO user_roles (user_id, role_id, tenant_id) VALUES (?, ?, ?)').run(userId, roleId, tenantId);
    const modelId = (
      db
        .prepare("INSERT INTO visual_models (tenant_id, created_by, name, model_type) VALUES (?, ?, 'm', 'flow') RETURNING id")
        .get(tenantId, userId) as {
        id: string;
      }
    ).id;
    db.prepare("INSERT INTO execution_records (tenant_id, model_id, user_id, status) VALUES (?, ?, ?, 'running')").run(
      tenantId,
      modelId,
      userId,
    );
    db.prepare("INSERT INTO custom_components (tenant_id, created_by, name, component_type) VALUES (?, ?, 'c', 'node')").run(
      tenantId,
      userId,
    );
    db.prepare("INSERT INTO audit_logs (tenant_id, user_id, action, resource_type) VALUES (?, ?, 'login', 'session')").run(
      tenantId,
      userId,
    );

    db.prepare('DELETE FROM tenants WHERE id = ?').run(tenantId);

    for (const table of CORE_TABLES.filter((name) => name !== 'tenants' && name !== 'users')) {
      expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get(), table).toEqual({ n: 0 });
    }
    expect(db.prepare('SELECT tenant_id FROM users').all()).toEqual([{ tenant_id: otherTenantId }]);
  });

  it('sets user references to NULL when the user is deleted, and cascades executions with their model', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    const tenantId = insertTenant('acme.example.com');
    const adminId = insertUser(tenantId, 'admin');
    const userId = insertUser(tenantId, 'ada');
    const roleId = (db.prepare("INSERT INTO roles (tenant_id, name) VALUES (?, 'editor') RETURNING id").get(tenantId) as { id: string }).id;
    db.prepare('INSERT INTO user_roles (user_id, role_id, tenant_id, granted_by) VALUES (?, ?, ?, ?)').run(
      userId,
      roleId,
      tenantId,
      adminId,
    );
    db.prepare("INSERT INTO audit_logs (tenant_id, user_id, action, resource_type) VALUES (?, ?, 'grant', 'role')").run(tenantId, adminId);
    const modelId = (
      db
        .prepare("INSERT INTO visual_models (tenant_id, created_by, name, model_type) VALUES (?, ?, 'm', 'flow') RETURNING id")
        .get(tenantId, adminId) as {
        id: string;
      }
    ).id;
    db.prepare('INSERT INTO execution_records (tenant_id, model_id) VALUES (?, ?)').run(tenantId, modelId);

    db.prepare('DELETE FROM users WHERE id = ?').run(adminId);
    expect(db.prepare('SELECT granted_by FROM user_roles').get()).toEqual({ granted_by: null });
    expect(db.prepare('SELECT user_id FROM audit_logs').get()).toEqual({ user_id: null });
    expect(db.prepare('SELECT created_by FROM visual_models').get()).toEqual({ created_by: null });

    db.prepare('DELETE FROM visual_models WHERE id = ?').run(modelId);
    expect(db.prepare('SELECT count(*) AS n FROM execution_records').get()).toEqual({ n: 0 });
  });

  it('refuses JSON columns holding text that is not JSON', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    expect(() => db.prepare("INSERT INTO tenants (name, domain, configuration) VALUES ('a', 'a.example.com', '{not json')").run()).toThrow(
      /CHECK constraint failed/,
    );
    const tenantId = insertTenant('a.example.com');
    expect(() => db.prepare("INSERT INTO roles (tenant_id, name, permissions) VALUES (?, 'r', '[oops')").run(tenantId)).toThrow(
      /CHECK constraint failed/,
    );
    db.prepare("INSERT INTO roles (tenant_id, name, permissions) VALUES (?, 'r', ?)").run(tenantId, JSON.stringify(['models:write']));
  });

  it('refuses duplicates of the UNIQUE keys', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    const tenantId = insertTenant('acme.example.com');
    expect(() => insertTenant('acme.example.com')).toThrow(/UNIQUE constraint failed: tenants\.domain/);
    insertUser(tenantId, 'ada');
    expect(() =>
      db.prepare("INSERT INTO users (tenant_id, username, email, password_hash) VALUES (?, 'ada2', 'ada@example.com', 'x')").run(tenantId),
    ).toThrow(/UNIQUE constraint failed: users\.tenant_id, users\.email/);
    db.prepare("INSERT INTO visual_models (tenant_id, name, model_type, version) VALUES (?, 'm', 'flow', 1)").run(tenantId);
    db.prepare("INSERT INTO visual_models (tenant_id, name, model_type, version) VALUES (?, 'm', 'flow', 2)").run(tenantId);
    expect(() =>
      db.prepare("INSERT INTO visual_models (tenant_id, name, model_type, version) VALUES (?, 'm', 'flow', 2)").run(tenantId),
    ).toThrow(/UNIQUE constraint failed/);
  });

  it('refuses values outside the status, boolean and range CHECKs', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    const tenantId = insertTenant('acme.example.com');
    expect(() => db.prepare("UPDATE tenants SET status = 'paused'").run()).toThrow(/tenants_status_check/);
    expect(() =>
      db.prepare("INSERT INTO users (tenant_id, username, email, password_hash, status) VALUES (?, 'u', 'u@x', 'x', 'gone')").run(tenantId),
    ).toThrow(/users_status_check/);
    expect(() =>
      db.prepare("INSERT INTO visual_models (tenant_id, name, model_type, is_public) VALUES (?, 'm', 'flow', 2)").run(tenantId),
    ).toThrow(/CHECK constraint failed/);
    expect(() =>
      db.prepare("INSERT INTO visual_models (tenant_id, name, model_type, version) VALUES (?, 'm', 'flow', 0)").run(tenantId),
    ).toThrow(/visual_models_version_check/);
    const modelId = (
      db.prepare("INSERT INTO visual_models (tenant_id, name, model_type) VALUES (?, 'm', 'flow') RETURNING id").get(tenantId) as {
        id: string;
      }
    ).id;
    expect(() =>
      db
        .prepare(
          "INSERT INTO execution_records (tenant_id, model_id, started_at, completed_at) VALUES (?, ?, '2024-05-01 10:00:00', '2024-05-01T09:59:59Z')",
        )
        .run(tenantId, modelId),
    ).toThrow(/execution_records_completed_at_check/);
    expect(() =>
      db.prepare('INSERT INTO execution_records (tenant_id, model_id, duration_ms) VALUES (?, ?, -1)').run(tenantId, modelId),
    ).toThrow(/execution_records_duration_ms_check/);
  });

  it('is reverted by SQLITE_INITIAL_SCHEMA_DOWN, data and all, and applies again after', () => {
    apply(SQLITE_INITIAL_SCHEMA_UP);
    insertUser(insertTenant('acme.example.com'), 'ada');
    apply(SQLITE_INITIAL_SCHEMA_DOWN);
    expect(db.prepare('SELECT type, name FROM sqlite_master').all()).toEqual([]);
    apply(SQLITE_INITIAL_SCHEMA_UP);
    expect(snapshotSqlite(db).tables).toEqual(sorted(CORE_TABLES));
  });
});

describe('SQLITE_ADD_INDEXES_UP (core@1.1.0)', () => {
  it(`creates the ${CORE_INDEXES.length} core indexes under their documented names`, () => {
    upAll();
    const { indexes } = snapshotSqlite(db);
    expect(indexes).toEqual(sorted(CORE_INDEXES));
    expect(indexes.length).toBeGreaterThanOrEqual(32);
  });

  it('makes every foreign-key column lead an index, its own or a key’s', () => {
    upAll();
    const { indexedLeadingColumns } = snapshotSqlite(db);
    const unindexed = Object.keys(EXPECTED_FOREIGN_KEYS).filter((column) => !indexedLeadingColumns.has(column));
    expect(unindexed).toEqual([]);
  });

  it('creates the partial indexes as partial', () => {
    upAll();
    const partial = CORE_TABLES.flatMap((table) =>
      (db.prepare('SELECT name FROM pragma_index_list(?) WHERE partial = 1').all(table) as { name: string }[]).map((row) => row.name),
    );
    expect(sorted(partial)).toEqual([
      'idx_custom_components_component_type_public',
      'idx_execution_records_started_at_unfinished',
      'idx_user_roles_expires_at',
      'idx_users_tenant_id_active',
      'idx_visual_models_model_type_public',
    ]);
  });

  it('serves a tenant’s recent audit log and its active users from the new indexes', () => {
    upAll();
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((row) => row.detail).join('\n');
    expect(plan("SELECT * FROM audit_logs WHERE tenant_id = 'x' ORDER BY created_at DESC LIMIT 50")).toContain(
      'idx_audit_logs_tenant_id_created_at',
    );
    expect(plan("SELECT id FROM users WHERE tenant_id = 'x' AND status = 'active'")).toMatch(
      /idx_users_tenant_id_active|sqlite_autoindex_users/,
    );
  });

  it('is reverted by SQLITE_ADD_INDEXES_DOWN, leaving the tables and their key indexes', () => {
    upAll();
    apply(SQLITE_ADD_INDEXES_DOWN);
    const snapshot = snapshotSqlite(db);
    expect(snapshot.indexes).toEqual([]);
    expect(snapshot.tables).toEqual(sorted(CORE_TABLES));
    expect(snapshot.keys).toEqual(EXPECTED_KEYS);
  });

  it('goes all the way down and up again, with data in the tables', () => {
    upAll();
    const tenantId = insertTenant('acme.example.com');
    insertUser(tenantId, 'ada');
    apply(SQLITE_ADD_INDEXES_DOWN);
    apply(SQLITE_INITIAL_SCHEMA_DOWN);
    expect(db.prepare('SELECT type, name FROM sqlite_master').all()).toEqual([]);
    upAll();
    const snapshot = snapshotSqlite(db);
    expect(snapshot.tables).toEqual(sorted(CORE_TABLES));
    expect(snapshot.indexes).toEqual(sorted(CORE_INDEXES));
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
  });
});
