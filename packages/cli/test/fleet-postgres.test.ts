import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { appIds, fleetProject, postgresState, run } from './fleet-support.js';

let database: TestDatabase;

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const schemas = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}_${String(i).padStart(3, '0')}`);
const json = (text: string) =>
  JSON.parse(text) as {
    summary: { ok: number; failed: number; skipped: number; migrations: number; durationMs: number };
    failed: string[];
    fleet: { concurrency: number };
    tenants: { name: string; schema: string | null; status: string; applied: number; error: { code: string; message: string } | null }[];
  };

beforeAll(async () => {
  database = await createTestDatabase('strata_fleet');
});
afterAll(async () => {
  await database?.drop();
});

describe('strata up --fleet schemas:<pattern> over PostgreSQL schemas', () => {
  // Full size (issue 16): 200 schemas in one database.
  it('applies every migration to 200 tenant schemas, each with its own state tables, once each', { timeout: 600_000 }, async () => {
    const names = schemas('tenant', 200);
    await sql(`${names.map((s) => `CREATE SCHEMA ${s};`).join('\n')}\nCREATE SCHEMA tenantx; CREATE SCHEMA other_001;`);
    const dir = fleetProject(3);
    // No --concurrency: the default comes from the cores and the server's free connections.
    const ran = await run(['up', '--fleet', 'schemas:tenant_*', '--url', database.url, '--json'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    const document = json(ran.stdout);
    expect(document.tenants.map((t) => t.name)).toEqual(names); // tenantx and other_001 do not match
    expect(document.summary).toMatchObject({ ok: 200, failed: 0, migrations: 600 });
    expect(document.fleet.concurrency).toBeGreaterThanOrEqual(1);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const schema of names) {
        const rows = (
          await client.query(`SELECT module || '@' || version || ':' || status AS id FROM ${schema}.strata_migrations ORDER BY version`)
        ).rows.map((r) => r.id);
        const events = (
          await client.query(`SELECT migration_id AS id FROM ${schema}.strata_events WHERE action = 'apply' AND outcome = 'ok' ORDER BY id`)
        ).rows.map((r) => r.id);
        expect({ schema, rows, events }).toEqual({ schema, rows: appIds(3).map((id) => `${id}:applied`), events: appIds(3) });
      }
    } finally {
      await client.end();
    }
    console.log(`fleet of 200 schemas x 3 migrations: ${document.summary.durationMs} ms at concurrency ${document.fleet.concurrency}`);
    // Tables landed in the tenant's schema, not in public.
    const rerun = await run(['status', '--fleet', 'schemas:tenant_*', '--url', database.url, '--json'], dir);
    expect(json(rerun.stdout).tenants.every((t) => t.applied === 3)).toBe(true);
  });

  it('a failing schema and an unreachable database are reported; the other tenants are applied', async () => {
    const names = schemas('acct', 6);
    await sql(`${names.map((s) => `CREATE SCHEMA ${s};`).join('\n')}\nCREATE TABLE acct_002.t2 (x int);`);
    const dir = fleetProject(3);
    const unreachable = 'postgres://postgres:Sekr1tPw@127.0.0.1:1/nowhere';
    writeFileSync(
      join(dir, 'fleet.json'),
      JSON.stringify([...names.map((schema) => ({ name: schema, url: database.url, schema })), { name: 'down-db', url: unreachable }]),
    );
    const ran = await run(['up', '--fleet', 'fleet.json', '--concurrency', '3', '--json'], dir);
    expect(ran.code).toBe(1);
    expect(ran.stdout + ran.stderr).not.toContain('Sekr1tPw');
    expect(readFileSync(join(dir, '.strata-fleet', 'last-run.json'), 'utf8')).not.toContain('Sekr1tPw');
    const document = json(ran.stdout);
    expect(document.failed.sort()).toEqual(['acct_002', 'down-db']);
    expect(document.tenants.find((t) => t.name === 'down-db')!.error!.code).toBe('STRATA_CONNECTION_FAILED');
    expect(document.tenants.find((t) => t.name === 'acct_002')).toMatchObject({ applied: 1, error: { code: 'STRATA_MIGRATION_FAILED' } });
    expect(await postgresState(database.url, 'acct_002')).toEqual({ rows: ['app@1.1.0:applied'], applyEvents: ['app@1.1.0'] });
    for (const schema of names.filter((s) => s !== 'acct_002')) {
      expect((await postgresState(database.url, schema)).rows).toHaveLength(3);
    }
  });

  it('query:<sql> on the control database lists the tenants', async () => {
    const names = schemas('q', 3);
    await sql(
      `${names.map((s) => `CREATE SCHEMA ${s};`).join('\n')} CREATE TABLE public.tenants (schema text); INSERT INTO public.tenants VALUES ('q_000'), ('q_002');`,
    );
    const dir = fleetProject(1);
    const ran = await run(
      ['up', '--fleet', 'query:SELECT schema FROM public.tenants ORDER BY schema', '--url', database.url, '--json'],
      dir,
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(json(ran.stdout).tenants.map((t) => [t.name, t.applied])).toEqual([
      ['q_000', 1],
      ['q_002', 1],
    ]);
  });
});
