import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { CORE_INDEXES_BY_DIALECT, POSTGRES_ONLY_INDEXES } from '../src/indexes.js';
import { POSTGRES_INITIAL_SCHEMA_DOWN, POSTGRES_INITIAL_SCHEMA_UP } from '../src/postgres/1.0.0-initial-schema.js';
import { POSTGRES_ADD_INDEXES_DOWN, POSTGRES_ADD_INDEXES_UP } from '../src/postgres/1.1.0-add-indexes.js';
import { CORE_TABLES } from '../src/tables.js';
import { EXPECTED_FOREIGN_KEYS, EXPECTED_KEYS, UUID_V4, sorted } from './expected.js';
import { snapshotPostgres } from './introspect.js';

// The bodies are applied directly, each in a transaction as the migrator runs them.
let database: TestDatabase;
let client: pg.Client;

async function apply(sql: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function upAll(): Promise<void> {
  await apply(POSTGRES_INITIAL_SCHEMA_UP);
  await apply(POSTGRES_ADD_INDEXES_UP);
}

async function one<Row>(sql: string, params: unknown[] = []): Promise<Row> {
  const { rows } = await client.query(sql, params);
  expect(rows).toHaveLength(1);
  return rows[0] as Row;
}

async function insertTenant(domain: string): Promise<string> {
  return (await one<{ id: string }>('INSERT INTO tenants (name, domain) VALUES ($1, $1) RETURNING id', [domain])).id;
}

async function insertUser(tenantId: string, username: string): Promise<string> {
  return (
    await one<{ id: string }>("INSERT INTO users (tenant_id, username, email, password_hash) VALUES ($1, $2, $3, 'x') RETURNING id", [
      tenantId,
      username,
      `${username}@example.com`,
    ])
  ).id;
}

async function count(table: string): Promise<number> {
  return (await one<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).n;
}

/** The SQLSTATE and constraint of the error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; constraint: string | undefined }> {
  const error = (await promise.then(
    () => expect.fail('expected the statement to fail'),
    (caught: unknown) => caught,
  )) as pg.DatabaseError;
  return { code: error.code ?? '', constraint: error.constraint };
}

beforeAll(async () => {
  database = await createTestDatabase('strata_core_schema');
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

beforeEach(async () => {
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
});

describe('POSTGRES_INITIAL_SCHEMA_UP (core@1.0.0)', () => {
  it('creates exactly the core tables', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    expect((await snapshotPostgres(client)).tables).toEqual(sorted(CORE_TABLES));
  });

  it('gives tenants, users and roles the seed column types', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name IN ('tenants', 'users', 'roles')
        ORDER BY table_name, ordinal_position`,
    );
    const describe = (table: string) =>
      rows
        .filter((row) => row.table_name === table)
        .map((row) => `${row.column_name} ${row.data_type}${row.is_nullable === 'NO' ? ' NOT NULL' : ''}`);
    expect(describe('tenants')).toEqual([
      'id uuid NOT NULL',
      'name character varying NOT NULL',
      'domain character varying NOT NULL',
      'created_at timestamp without time zone NOT NULL',
      'updated_at timestamp without time zone NOT NULL',
      'status character varying NOT NULL',
      'configuration jsonb',
      'resource_limits jsonb',
      'billing_info jsonb',
    ]);
    expect(describe('users')).toEqual([
      'id uuid NOT NULL',
      'tenant_id uuid NOT NULL',
      'username character varying NOT NULL',
      'email character varying NOT NULL',
      'password_hash character varying NOT NULL',
      'created_at timestamp without time zone NOT NULL',
      'last_login timestamp without time zone',
      'status character varying NOT NULL',
      'profile jsonb',
      'preferences jsonb',
    ]);
    expect(describe('roles')).toEqual([
      'id uuid NOT NULL',
      'tenant_id uuid NOT NULL',
      'name character varying NOT NULL',
      'description text',
      'permissions jsonb',
      'parent_role_id uuid',
      'created_at timestamp without time zone NOT NULL',
      'updated_at timestamp without time zone NOT NULL',
    ]);
  });

  it('declares every foreign key with its ON DELETE action (confdeltype c / n)', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    expect((await snapshotPostgres(client)).foreignKeys).toEqual(EXPECTED_FOREIGN_KEYS);
    const actions = await client.query<{ confdeltype: string; n: number }>(
      "SELECT confdeltype, count(*)::int AS n FROM pg_constraint WHERE contype = 'f' GROUP BY confdeltype ORDER BY confdeltype",
    );
    expect(actions.rows).toEqual([
      { confdeltype: 'c', n: 10 },
      { confdeltype: 'n', n: 6 },
    ]);
  });

  it('declares the primary keys, UNIQUE constraints and status CHECKs', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    expect((await snapshotPostgres(client)).keys).toEqual(EXPECTED_KEYS);
    const checks = await client.query<{ conname: string }>(
      "SELECT conname FROM pg_constraint WHERE contype = 'c' AND conname LIKE '%status_check' ORDER BY conname",
    );
    expect(checks.rows.map((row) => row.conname)).toEqual([
      'custom_components_status_check',
      'execution_records_status_check',
      'tenants_status_check',
      'users_status_check',
      'visual_models_status_check',
    ]);
  });

  it('fills ids with gen_random_uuid() and JSONB defaults', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    const tenantId = await insertTenant('acme.example.com');
    expect(tenantId).toMatch(UUID_V4);
    const tenant = await one<Record<string, unknown>>('SELECT * FROM tenants WHERE id = $1', [tenantId]);
    expect(tenant).toMatchObject({ status: 'active', configuration: {}, resource_limits: {}, billing_info: {} });
    expect(tenant.created_at).toBeInstanceOf(Date);
    const role = await one<Record<string, unknown>>("INSERT INTO roles (tenant_id, name) VALUES ($1, 'admin') RETURNING *", [tenantId]);
    expect(role.id).toMatch(UUID_V4);
    expect(role.permissions).toEqual([]);
    const model = await one<Record<string, unknown>>(
      "INSERT INTO visual_models (tenant_id, name, model_type) VALUES ($1, 'flow', 'dataflow') RETURNING *",
      [tenantId],
    );
    expect(model).toMatchObject({ version: 1, definition: {}, status: 'draft', is_public: false });
  });

  it('cascades a tenant delete to everything it owns', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    const tenantId = await insertTenant('acme.example.com');
    const otherTenantId = await insertTenant('other.example.com');
    const userId = await insertUser(tenantId, 'ada');
    await insertUser(otherTenantId, 'ada');
    const { id: roleId } = await one<{ id: string }>("INSERT INTO roles (tenant_id, name) VALUES ($1, 'admin') RETURNING id", [tenantId]);
    await client.query('INSERT INTO user_roles (user_id, role_id, tenant_id) VALUES ($1, $2, $3)', [userId, roleId, tenantId]);
    const { id: modelId } = await one<{ id: string }>(
      "INSERT INTO visual_models (tenant_id, created_by, name, model_type) VALUES ($1, $2, 'm', 'flow') RETURNING id",
      [tenantId, userId],
    );
    await client.query("INSERT INTO execution_records (tenant_id, model_id, user_id, status) VALUES ($1, $2, $3, 'running')", [
      tenantId,
      modelId,
      userId,
    ]);
    await client.query("INSERT INTO custom_components (tenant_id, created_by, name, component_type) VALUES ($1, $2, 'c', 'node')", [
      tenantId,
      userId,
    ]);
    await client.query("INSERT INTO audit_logs (tenant_id, user_id, action, resource_type) VALUES ($1, $2, 'login', 'session')", [
      tenantId,
      userId,
    ]);

    await client.query('DELETE FROM tenants WHERE id = $1', [tenantId]);

    for (const table of CORE_TABLES.filter((name) => name !== 'tenants' && name !== 'users')) {
      expect(await count(table), table).toBe(0);
    }
    expect((await client.query('SELECT tenant_id FROM users')).rows).toEqual([{ tenant_id: otherTenantId }]);
  });

  it('sets user references to NULL when the user is deleted, and cascades executions with their model', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    const tenantId = await insertTenant('acme.example.com');
    const adminId = await insertUser(tenantId, 'admin');
    const userId = await insertUser(tenantId, 'ada');
    const { id: roleId } = await one<{ id: string }>("INSERT INTO roles (tenant_id, name) VALUES ($1, 'editor') RETURNING id", [tenantId]);
    await client.query('INSERT INTO user_roles (user_id, role_id, tenant_id, granted_by) VALUES ($1, $2, $3, $4)', [
      userId,
      roleId,
      tenantId,
      adminId,
    ]);
    await client.query("INSERT INTO audit_logs (tenant_id, user_id, action, resource_type) VALUES ($1, $2, 'grant', 'role')", [
      tenantId,
      adminId,
    ]);
    const { id: modelId } = await one<{ id: string }>(
      "INSERT INTO visual_models (tenant_id, created_by, name, model_type) VALUES ($1, $2, 'm', 'flow') RETURNING id",
      [tenantId, adminId],
    );
    await client.query('INSERT INTO execution_records (tenant_id, model_id) VALUES ($1, $2)', [tenantId, modelId]);

    await client.query('DELETE FROM users WHERE id = $1', [adminId]);
    expect(await one('SELECT granted_by FROM user_roles')).toEqual({ granted_by: null });
    expect(await one('SELECT user_id FROM audit_logs')).toEqual({ user_id: null });
    expect(await one('SELECT created_by FROM visual_models')).toEqual({ created_by: null });

    await client.query('DELETE FROM visual_models WHERE id = $1', [modelId]);
    expect(await count('execution_records')).toBe(0);
  });

  it('refuses duplicates of the UNIQUE keys and values outside the CHECKs', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    const tenantId = await insertTenant('acme.example.com');
    expect(await failure(insertTenant('acme.example.com'))).toEqual({ code: '23505', constraint: 'tenants_domain_key' });
    await insertUser(tenantId, 'ada');
    expect(
      await failure(
        client.query("INSERT INTO users (tenant_id, username, email, password_hash) VALUES ($1, 'ada2', 'ada@example.com', 'x')", [
          tenantId,
        ]),
      ),
    ).toEqual({ code: '23505', constraint: 'users_tenant_id_email_key' });
    expect(await failure(client.query("UPDATE tenants SET status = 'paused'"))).toEqual({
      code: '23514',
      constraint: 'tenants_status_check',
    });
    expect(
      await failure(
        client.query("INSERT INTO visual_models (tenant_id, name, model_type, version) VALUES ($1, 'm', 'flow', 0)", [tenantId]),
      ),
    ).toEqual({ code: '23514', constraint: 'visual_models_version_check' });
    const { id: modelId } = await one<{ id: string }>(
      "INSERT INTO visual_models (tenant_id, name, model_type) VALUES ($1, 'm', 'flow') RETURNING id",
      [tenantId],
    );
    expect(
      await failure(
        client.query(
          "INSERT INTO execution_records (tenant_id, model_id, started_at, completed_at) VALUES ($1, $2, '2024-05-01 10:00', '2024-05-01 09:59')",
          [tenantId, modelId],
        ),
      ),
    ).toEqual({ code: '23514', constraint: 'execution_records_completed_at_check' });
  });

  it('leaves nothing behind when its transaction rolls back', async () => {
    await client.query('BEGIN');
    await client.query(POSTGRES_INITIAL_SCHEMA_UP);
    await client.query(POSTGRES_ADD_INDEXES_UP);
    await client.query('ROLLBACK');
    expect((await snapshotPostgres(client)).tables).toEqual([]);
  });

  it('is reverted by POSTGRES_INITIAL_SCHEMA_DOWN, data and all, and applies again after', async () => {
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    await insertUser(await insertTenant('acme.example.com'), 'ada');
    await apply(POSTGRES_INITIAL_SCHEMA_DOWN);
    expect(await one("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).toEqual({ n: 0 });
    await apply(POSTGRES_INITIAL_SCHEMA_UP);
    expect((await snapshotPostgres(client)).tables).toEqual(sorted(CORE_TABLES));
  });
});

describe('POSTGRES_ADD_INDEXES_UP (core@1.1.0)', () => {
  it(`creates the ${CORE_INDEXES_BY_DIALECT.postgres.length} indexes under their documented names`, async () => {
    await upAll();
    const { indexes } = await snapshotPostgres(client);
    expect(indexes).toEqual(sorted(CORE_INDEXES_BY_DIALECT.postgres));
    const created = await one<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx\\_%'",
    );
    expect(created.n).toBeGreaterThanOrEqual(30);
  });

  it('builds the JSONB indexes with GIN and the partial ones with their predicate', async () => {
    await upAll();
    const { rows } = await client.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND (indexdef LIKE '%USING gin%' OR indexdef LIKE '% WHERE %') ORDER BY indexname",
    );
    const gin = rows.filter((row) => row.indexdef.includes('USING gin')).map((row) => row.indexname);
    expect(gin).toEqual(sorted(POSTGRES_ONLY_INDEXES));
    expect(rows.filter((row) => row.indexdef.includes(' WHERE ')).map((row) => row.indexname)).toEqual([
      'idx_custom_components_component_type_public',
      'idx_execution_records_started_at_unfinished',
      'idx_user_roles_expires_at',
      'idx_users_tenant_id_active',
      'idx_visual_models_model_type_public',
    ]);
  });

  it('makes every foreign-key column lead an index, its own or a key’s', async () => {
    await upAll();
    const { indexedLeadingColumns } = await snapshotPostgres(client);
    expect(Object.keys(EXPECTED_FOREIGN_KEYS).filter((column) => !indexedLeadingColumns.has(column))).toEqual([]);
  });

  it('answers a permission containment query from the GIN index', async () => {
    await upAll();
    const tenantId = await insertTenant('acme.example.com');
    await client.query("INSERT INTO roles (tenant_id, name, permissions) VALUES ($1, 'editor', '[\"models:write\"]')", [tenantId]);
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query(`EXPLAIN SELECT id FROM roles WHERE permissions @> '["models:write"]'`);
      expect(rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n')).toContain('idx_roles_permissions');
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('is reverted by POSTGRES_ADD_INDEXES_DOWN, leaving the tables and their keys', async () => {
    await upAll();
    await apply(POSTGRES_ADD_INDEXES_DOWN);
    const snapshot = await snapshotPostgres(client);
    expect(snapshot.indexes).toEqual([]);
    expect(snapshot.tables).toEqual(sorted(CORE_TABLES));
    expect(snapshot.keys).toEqual(EXPECTED_KEYS);
  });

  it('goes all the way down and up again, with data in the tables', async () => {
    await upAll();
    await insertUser(await insertTenant('acme.example.com'), 'ada');
    await apply(POSTGRES_ADD_INDEXES_DOWN);
    await apply(POSTGRES_INITIAL_SCHEMA_DOWN);
    expect(await one("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).toEqual({ n: 0 });
    await upAll();
    const snapshot = await snapshotPostgres(client);
    expect(snapshot.tables).toEqual(sorted(CORE_TABLES));
    expect(snapshot.indexes).toEqual(sorted(CORE_INDEXES_BY_DIALECT.postgres));
  });
});
