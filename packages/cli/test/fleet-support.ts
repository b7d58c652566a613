// Shared by the fleet tests: run the CLI in process, build tenant projects, read a tenant's state.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '@strata/core';

type DialectFactory = (options: object) => Dialect;
// Imported by name at run time, as the CLI loads dialects (test-only dev dependencies of the cli package).
const sqliteDialect = async (options: object) =>
  ((await import('@strata/dialect-sqlite' as string)) as { createSqliteDialect: DialectFactory }).createSqliteDialect(options);
const postgresDialect = async (options: object) =>
  ((await import('@strata/dialect-postgres' as string)) as { createPostgresDialect: DialectFactory }).createPostgresDialect(options);
import { runCli, type RunCliOptions } from '../src/run-cli.js';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], cwd: string, options: Partial<RunCliOptions> = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { STRATA_NO_CACHE: '1' },
    cwd,
    dialectLoaders: {
      sqlite: () => import('@strata/dialect-sqlite' as string),
      postgres: () => import('@strata/dialect-postgres' as string),
    },
    ...options,
  });
  return { code, stdout, stderr };
}

/** A project with `count` small migrations (`CREATE TABLE t<i>`) in ./migrations. */
export function fleetProject(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-fleet-'));
  mkdirSync(join(dir, 'migrations'));
  for (let i = 1; i <= count; i++) {
    writeFileSync(
      join(dir, 'migrations', `1.${i}.0_t${i}.sql`),
      `-- strata:up\nCREATE TABLE t${i} (id INTEGER PRIMARY KEY, v TEXT);\n-- strata:down\nDROP TABLE t${i};\n`,
    );
  }
  return dir;
}

/** `count` empty SQLite files tenants/t0000.db … in the project; returns their names. */
export function sqliteTenants(dir: string, count: number): string[] {
  mkdirSync(join(dir, 'tenants'), { recursive: true });
  const names = Array.from({ length: count }, (_, i) => `t${String(i).padStart(4, '0')}`);
  for (const name of names) writeFileSync(join(dir, 'tenants', `${name}.db`), '');
  return names;
}

/** What a tenant's state tables hold: applied rows (module@version, status) and apply events. */
export interface TenantState {
  rows: string[];
  applyEvents: string[];
}

async function readState(dialect: Dialect, events = 'strata_events', migrations = 'strata_migrations'): Promise<TenantState> {
  const session = await dialect.connect({ purpose: 'read', lockTimeoutMs: 10_000 });
  try {
    const rows = await session.query<{ id: string }>(
      `SELECT module || '@' || version || ':' || status AS id FROM ${migrations} ORDER BY module, version`,
    );
    const applied = await session.query<{ id: string }>(
      `SELECT migration_id AS id FROM ${events} WHERE action = 'apply' AND outcome = 'ok' ORDER BY id`,
    );
    return { rows: rows.map((r) => r.id), applyEvents: applied.map((r) => r.id) };
  } finally {
    await session.close();
    await dialect.destroy?.();
  }
}

export async function sqliteState(file: string): Promise<TenantState> {
  return readState(await sqliteDialect({ filename: file }));
}

export async function postgresState(url: string, schema: string): Promise<TenantState> {
  return readState(await postgresDialect({ connectionString: url }), `"${schema}".strata_events`, `"${schema}".strata_migrations`);
}

/** The ids `app@1.1.0` … `app@1.<count>.0`. */
export const appIds = (count: number) => Array.from({ length: count }, (_, i) => `app@1.${i + 1}.0`);
