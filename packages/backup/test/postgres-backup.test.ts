import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from '@strata/core';
import { createPostgresBackupProvider } from '@strata/dialect-postgres/backup';
import { createBackupManager } from '../src/index.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { runSql } from '../../dialect-postgres/src/backup/postgres-sql.js';
import { parsePostgresUrl } from '../../dialect-postgres/src/backup/postgres-target.js';
import { tempDir } from './helpers.js';

async function query<Row = Record<string, unknown>>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Tables, columns, indexes and every row of the user schemas: equal snapshots mean equal databases. */
async function snapshot(url: string): Promise<unknown> {
  const columns = await query(
    url,
    `SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1, 2, ordinal_position`,
  );
  const indexes = await query(
    url,
    `SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1, 2`,
  );
  const tables = await query<{ s: string; t: string }>(
    url,
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
  );
  const rows: Record<string, unknown[]> = {};
  for (const { s, t } of tables) rows[`${s}.${t}`] = await query(url, `SELECT * FROM "${s}"."${t}" ORDER BY 1`);
  return { columns, indexes, rows };
}

async function seed(url: string): Promise<void> {
  await query(
    url,
    `CREATE SCHEMA app;
     CREATE TABLE app.tenants (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
     CREATE TABLE app.users (id serial PRIMARY KEY, tenant_id int NOT NULL REFERENCES app.tenants(id), email text NOT NULL, created_at timestamptz DEFAULT now());
     CREATE INDEX users_email ON app.users (lower(email));
     CREATE TABLE public.notes (id int PRIMARY KEY, body text);
     INSERT INTO app.tenants (name) SELECT 'tenant ' || g FROM generate_series(1, 5) g;
     INSERT INTO app.users (tenant_id, email, created_at) SELECT 1 + g % 5, 'u' || g || '@example.com', '2024-01-01' FROM generate_series(1, 200) g;
     INSERT INTO public.notes VALUES (1, 'one'), (2, 'two');`,
  );
}

/** A stand-in for pg_dump: a shell script. */
function fakeTool(directory: string, name: string, body: string): string {
  const path = join(directory, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

let database: TestDatabase;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  database = await createTestDatabase('strata_backup_pg');
  await seed(database.url);
});
afterAll(async () => {
  await database?.drop();
});
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

describe('createPostgresBackupProvider with createBackupManager', () => {
  it('backs up with pg_dump -Fc and restores the same database to the same catalogue and rows', async () => {
    const before = await snapshot(database.url);
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: database.url }),
      directory: join(dir.path, 'backups'),
    });
    const { manifest, path } = await manager.create({ versions: { core: '1.0.0' }, runId: 'r1' });
    expect(manifest).toMatchObject({ dialect: 'postgres', verified: true, file: `${manifest.id}.dump`, schemaVersions: { core: '1.0.0' } });
    expect(manifest.database).toBe(`postgres://postgres@127.0.0.1:5432/${database.name}`);
    expect(readFileSync(path).subarray(0, 5).toString()).toBe('PGDMP');

    await query(
      database.url,
      `DROP TABLE public.notes; UPDATE app.users SET email = 'changed'; DELETE FROM app.tenants WHERE id = 5 AND NOT EXISTS (SELECT 1 FROM app.users WHERE tenant_id = 5)`,
    );
    await query(database.url, `DELETE FROM app.users WHERE id > 100`);
    expect(await snapshot(database.url)).not.toEqual(before);

    const result = await manager.restore(manifest.id);
    expect(result).toMatchObject({ replacedLive: true, target: manifest.database });
    expect(await snapshot(database.url)).toEqual(before);
  });

  it('restores into a new database, leaving the live one alone', async () => {
    const before = await snapshot(database.url);
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: database.url }),
      directory: join(dir.path, 'backups'),
    });
    const { manifest } = await manager.create();
    const into = `${database.name}_restored`;
    try {
      const result = await manager.restore(manifest.id, { into });
      expect(result.target).toBe(`postgres://postgres@127.0.0.1:5432/${into}`);
      expect(await snapshot(database.url.replace(/\/[^/]*$/, `/${into}`))).toEqual(before);
      // A second restore into the (now existing) database is refused, and keeps it.
      await expect(manager.restore(manifest.id, { into })).rejects.toMatchObject({ code: 'STRATA_BACKUP_FAILED' });
      expect(await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [into])).toHaveLength(1);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${into}" WITH (FORCE)`);
    }
  });

  it('dumps only the configured schemas', async () => {
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: database.url, schemas: ['app'] }),
      directory: join(dir.path, 'backups'),
    });
    const { manifest } = await manager.create();
    expect(manifest.database).toContain('(schemas app)');
    const into = `${database.name}_app`;
    try {
      await manager.restore(manifest.id, { into });
      const tables = await query<{ t: string }>(
        database.url.replace(/\/[^/]*$/, `/${into}`),
        `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('app', 'public') ORDER BY 1`,
      );
      expect(tables.map((row) => row.t)).toEqual(['app.tenants', 'app.users']);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${into}" WITH (FORCE)`);
    }
  });

  it('stops pg_dump on abort: STRATA_INTERRUPTED, nothing left', async () => {
    const slow = fakeTool(dir.path, 'pg_dump', `[ "$1" = --version ] || sleep 2\nexec pg_dump "$@"`);
    const directory = join(dir.path, 'backups');
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: database.url, pgDumpPath: slow }),
      directory,
    });
    const controller = new AbortController();
    const pending = manager.create({ signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toMatchObject({ code: 'STRATA_INTERRUPTED' });
    // On a loaded machine the abort can land during the pre-flight, before the folder exists.
    expect(existsSync(directory) ? readdirSync(directory) : []).toEqual([]);
  });

  it('puts pg_dump stderr into the error when it fails (a schema that does not exist)', async () => {
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: database.url, schemas: ['nope'] }),
      directory: join(dir.path, 'backups'),
    });
    const error = (await manager.create().catch((e: unknown) => e)) as StrataError;
    expect(error.code).toBe('STRATA_BACKUP_FAILED');
    expect(error.message).toMatch(/pg_dump failed .*no matching schemas/);
    expect(String(error.details.stderr)).toContain('no matching schemas');
    expect(readdirSync(join(dir.path, 'backups'))).toEqual([]);
  });
});

describe('pg_dump availability and version', () => {
  it('fails clearly before anything runs when pg_dump is not at pgDumpPath', async () => {
    const directory = join(dir.path, 'backups');
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: database.url, pgDumpPath: join(dir.path, 'no', 'pg_dump') }),
      directory,
    });
    const error = (await manager.create().catch((e: unknown) => e)) as StrataError;
    expect(isStrataError(error)).toBe(true);
    expect(error.code).toBe('STRATA_BACKUP_FAILED');
    expect(error.message).toContain('pg_dump could not be started');
    expect(error.hint).toMatch(/postgresql-client.*pgDumpPath/);
    expect(existsSync(directory)).toBe(false);
  });

  it('fails clearly when pg_dump is not on PATH', async () => {
    const previous = process.env.PATH;
    process.env.PATH = dir.path;
    try {
      const manager = createBackupManager({
        provider: createPostgresBackupProvider({ connectionString: database.url }),
        directory: join(dir.path, 'backups'),
      });
      await expect(manager.create()).rejects.toMatchObject({ code: 'STRATA_BACKUP_FAILED', message: expect.stringContaining('ENOENT') });
    } finally {
      process.env.PATH = previous;
    }
    expect(existsSync(join(dir.path, 'backups'))).toBe(false);
  });

  it('refuses a pg_dump older than the server, naming both versions, before dumping', async () => {
    const marker = join(dir.path, 'dumped');
    const old = fakeTool(
      dir.path,
      'pg_dump',
      `if [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 12.0"; exit 0; fi\ntouch "${marker}"; exit 0`,
    );
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: database.url, pgDumpPath: old }),
      directory: join(dir.path, 'backups'),
    });
    const error = (await manager.create().catch((e: unknown) => e)) as StrataError;
    expect(error.code).toBe('STRATA_BACKUP_FAILED');
    expect(error.message).toMatch(/pg_dump 12 .*older than the PostgreSQL 15 server/);
    expect(error.hint).toContain('pg_dump 15 or newer');
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(dir.path, 'backups'))).toBe(false);
  });
});

describe('the password', () => {
  const password = `S3cr3t-${randomBytes(6).toString('hex')}`;
  const role = `strata_bk_${randomBytes(4).toString('hex')}`;
  let url: string;

  beforeAll(async () => {
    await adminQuery(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'`);
    await adminQuery(`GRANT pg_read_all_data TO ${role}`);
    url = database.url.replace('postgres://postgres@', `postgres://${role}:${encodeURIComponent(password)}@`);
  });
  afterAll(async () => {
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  function expectNoPassword(text: string): void {
    expect(text).not.toContain(password);
  }

  /** Reads the argv of every process, every few ms, until stopped. */
  function sampleArgv(): { stop: () => Promise<string[]> } {
    const seen = new Set<string>();
    let running = true;
    const loop = (async () => {
      while (running) {
        for (const pid of await readdir('/proc').catch(() => [] as string[])) {
          if (!/^\d+$/.test(pid)) continue;
          const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
          if (cmdline) seen.add(cmdline.split('\0').join(' '));
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return [...seen];
      },
    };
  }

  it('never appears on any process argv while pg_dump and pg_restore run, nor in the manifest', async () => {
    // A pg_dump that lingers a little, so the sampler surely sees it (and its argv) running.
    const slow = fakeTool(dir.path, 'pg_dump', `[ "$1" = --version ] || sleep 0.3\nexec pg_dump "$@"`);
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: url, pgDumpPath: slow }),
      directory: join(dir.path, 'backups'),
    });
    const sampler = sampleArgv();
    const { manifestPath, manifest } = await manager.create();
    const into = `${database.name}_pw`;
    try {
      await manager.restore(manifest.id, { into });
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${into}" WITH (FORCE)`);
    }
    const argvs = await sampler.stop();
    expect(argvs.some((args) => args.includes('--format=custom') && args.includes(role))).toBe(true);
    for (const args of argvs) {
      expectNoPassword(args);
      expect(args).not.toContain(encodeURIComponent(password));
    }
    expectNoPassword(readFileSync(manifestPath, 'utf8'));
    expect(manifest.database).toBe(`postgres://${role}@127.0.0.1:5432/${database.name}`);
  }, 30_000);

  it('never appears in the error, hint, details or JSON of a failed backup', async () => {
    const wrongDb = url.replace(/\/[^/]*$/, '/no_such_database_here');
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: wrongDb }),
      directory: join(dir.path, 'backups'),
    });
    const error = (await manager.create().catch((e: unknown) => e)) as StrataError;
    expect(error.code).toBe('STRATA_BACKUP_FAILED');
    expect(error.message).toContain('no_such_database_here');
    for (const text of [error.message, error.hint ?? '', JSON.stringify(error), inspect(error, { depth: 5 }), String(error.stack)]) {
      expectNoPassword(text);
    }
  });

  it('reaches psql through PGPASSWORD when pg is not used, and is redacted from its errors', async () => {
    const target = parsePostgresUrl(url);
    const options = { psqlPath: 'psql', secrets: [password], via: 'psql' as const };
    expect(await runSql(target, 'SELECT current_user', options)).toEqual([role]);
    const error = (await runSql(target, 'SELECT nope', options).catch((e: unknown) => e)) as StrataError;
    expect(error.code).toBe('STRATA_BACKUP_FAILED');
    expect(error.message).toContain('nope');
    expectNoPassword(JSON.stringify(error));
  });

  it('is redacted from a tool message that echoes it back', async () => {
    const leaky = fakeTool(
      dir.path,
      'pg_dump',
      `if [ "$1" = --version ]; then exec pg_dump --version; fi\necho "pg_dump: error: connection failed for password=$PGPASSWORD and $PGPASSWORD" >&2\nexit 1`,
    );
    const manager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: url, pgDumpPath: leaky }),
      directory: join(dir.path, 'backups'),
    });
    const error = (await manager.create().catch((e: unknown) => e)) as StrataError;
    expect(error.code).toBe('STRATA_BACKUP_FAILED');
    expect(error.message).toContain('connection failed');
    for (const text of [error.message, error.hint ?? '', JSON.stringify(error), inspect(error, { depth: 5 })]) expectNoPassword(text);
    expect(readdirSync(join(dir.path, 'backups'))).toEqual([]);
  });
});
