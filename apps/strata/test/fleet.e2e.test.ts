// Fleet runs through the built bin: kill -9 in the middle of a fleet, then a rerun completes every
// tenant with nothing applied twice (RELIABILITY.md rules 2 and 3, over many targets).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project, strata } from './bin.js';

const MIGRATIONS = 5;
const ids = Array.from({ length: MIGRATIONS }, (_, i) => `app@1.${i + 1}.0`);

function migrationsProject(): string {
  const files: Record<string, string> = {};
  for (let i = 1; i <= MIGRATIONS; i++)
    files[`migrations/1.${i}.0_t${i}.sql`] =
      `-- strata:up\nCREATE TABLE t${i} (id INTEGER PRIMARY KEY, v TEXT);\n-- strata:down\nDROP TABLE t${i};\n`;
  return project(files, 'strata-fleet-e2e-');
}

/** Starts the bin and SIGKILLs it once `lines` tenants have reported; resolves with what it printed. */
function killMidway(cwd: string, args: string[], lines: number): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, STRATA_NO_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if ((stdout.match(/^ok /gm) ?? []).length >= lines) child.kill('SIGKILL');
  });
  child.stderr.resume();
  return new Promise((resolve) => child.once('close', (_code, signal) => resolve({ signal, stdout })));
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('strata_fleet_e2e');
});
afterAll(async () => {
  await database?.drop();
});

describe('strata up --fleet (built bin)', () => {
  it('SQLite files: kill -9 mid-fleet, then a rerun completes every tenant with nothing applied twice', async () => {
    const dir = migrationsProject();
    mkdirSync(join(dir, 'tenants'));
    const names = Array.from({ length: 60 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    for (const name of names) writeFileSync(join(dir, 'tenants', `${name}.db`), '');
    const killed = await killMidway(dir, ['up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', '2'], 10);
    expect(killed.signal).toBe('SIGKILL');
    const done = (killed.stdout.match(/^ok /gm) ?? []).length;
    expect(done).toBeLessThan(names.length);

    const rerun = strata(dir, ['up', '--fleet', 'sqlite:tenants/*.db', '--json'], { STRATA_NO_CACHE: '1' });
    expect(rerun.code, rerun.stderr).toBe(0);
    const document = JSON.parse(rerun.stdout) as { summary: { ok: number; migrations: number }; tenants: { applied: number }[] };
    expect(document.summary.ok).toBe(names.length);
    // The killed run's finished tenants got nothing more.
    expect(document.tenants.filter((t) => t.applied === 0).length).toBeGreaterThanOrEqual(done);
    for (const name of names) {
      const db = new Database(join(dir, 'tenants', `${name}.db`), { readonly: true });
      try {
        const rows = db.prepare("SELECT module || '@' || version AS id, status FROM strata_migrations ORDER BY version").all() as {
          id: string;
          status: string;
        }[];
        const applies = db
          .prepare("SELECT migration_id AS id FROM strata_events WHERE action = 'apply' AND outcome = 'ok' ORDER BY id")
          .all() as { id: string }[];
        expect({ name, rows: rows.map((r) => `${r.id}:${r.status}`), applies: applies.map((r) => r.id) }).toEqual({
          name,
          rows: ids.map((id) => `${id}:applied`),
          applies: ids,
        });
      } finally {
        db.close();
      }
    }
  });

  it('PostgreSQL schemas: kill -9 mid-fleet, then a rerun completes every schema with nothing applied twice', async () => {
    const dir = migrationsProject();
    const schemas = Array.from({ length: 40 }, (_, i) => `tenant_${String(i).padStart(3, '0')}`);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(schemas.map((s) => `CREATE SCHEMA ${s};`).join('\n'));
      const killed = await killMidway(dir, ['up', '--fleet', 'schemas:tenant_*', '--url', database.url, '--concurrency', '4'], 8);
      expect(killed.signal).toBe('SIGKILL');
      const rerun = strata(dir, ['up', '--fleet', 'schemas:tenant_*', '--url', database.url], { STRATA_NO_CACHE: '1' });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stdout).toMatch(/^fleet up: 40 ok, 0 failed, 0 skipped of 40 tenants/m);
      for (const schema of schemas) {
        const rows = (
          await client.query(`SELECT module || '@' || version || ':' || status AS id FROM ${schema}.strata_migrations ORDER BY version`)
        ).rows.map((r) => r.id);
        const applies = (
          await client.query(`SELECT migration_id AS id FROM ${schema}.strata_events WHERE action = 'apply' AND outcome = 'ok' ORDER BY id`)
        ).rows.map((r) => r.id);
        expect({ schema, rows, applies }).toEqual({ schema, rows: ids.map((id) => `${id}:applied`), applies: ids });
      }
    } finally {
      await client.end();
    }
  });

  it('SQLite on worker threads: results, a failure with its count, down --steps, backups naming the tenant', async () => {
    const dir = migrationsProject();
    mkdirSync(join(dir, 'tenants'));
    const names = Array.from({ length: 12 }, (_, i) => `w${String(i).padStart(2, '0')}`);
    for (const name of names) writeFileSync(join(dir, 'tenants', `${name}.db`), '');
    const broken = new Database(join(dir, 'tenants', 'w05.db'));
    broken.exec('CREATE TABLE t3 (x INTEGER)');
    broken.close();
    const ran = strata(dir, ['up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', '4', '--verbose', '--json'], {
      STRATA_NO_CACHE: '1',
    });
    expect(ran.code, ran.stderr).toBe(1);
    expect(ran.stderr).toMatch(/^fleet: 4 worker threads$/m);
    type Doc = {
      summary: { ok: number; failed: number; migrations: number };
      tenants: { name: string; applied: number; reverted: number; exitCode: number; error: { code: string } | null }[];
    };
    const document = JSON.parse(ran.stdout) as Doc;
    expect(document.summary).toMatchObject({ ok: 11, failed: 1, migrations: 11 * MIGRATIONS + 2 });
    // The worker's steps reach the report: two applied before the failing third.
    expect(document.tenants.find((t) => t.name === 'w05')).toMatchObject({
      applied: 2,
      exitCode: 1,
      error: { code: 'STRATA_MIGRATION_FAILED' },
    });
    const rows = (name: string) => {
      const db = new Database(join(dir, 'tenants', `${name}.db`), { readonly: true });
      try {
        return (db.prepare('SELECT version FROM strata_migrations ORDER BY version').all() as { version: string }[]).map((r) => r.version);
      } finally {
        db.close();
      }
    };
    for (const name of names) expect({ name, rows: rows(name).length }).toEqual({ name, rows: name === 'w05' ? 2 : MIGRATIONS });

    const down = strata(dir, ['down', '--fleet', 'sqlite:tenants/*.db', '--steps', '1', '--yes', '--concurrency', '4', '--json'], {
      STRATA_NO_CACHE: '1',
    });
    expect(down.code, down.stderr).toBe(0);
    expect((JSON.parse(down.stdout) as Doc).tenants.every((t) => t.reverted === 1)).toBe(true);
    expect(rows('w00')).toHaveLength(MIGRATIONS - 1);
    expect(rows('w05')).toEqual(['1.1.0']);

    // Backups from worker threads: each tenant's manifest names it.
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ backup: { enabled: true } }));
    writeFileSync(join(dir, 'some.txt'), ['w00', 'w01', 'w02', 'w03'].map((n) => `sqlite:tenants/${n}.db`).join('\n'));
    const backed = strata(dir, ['up', '--fleet', 'some.txt', '--concurrency', '2'], { STRATA_NO_CACHE: '1' });
    expect(backed.code, backed.stderr).toBe(0);
    const folders = readdirSync(join(dir, '.strata-backups', 'fleet')).sort();
    expect(folders).toHaveLength(4);
    for (const [index, folder] of folders.entries()) {
      const manifest = readdirSync(join(dir, '.strata-backups', 'fleet', folder)).find((f) => f.endsWith('.json'))!;
      expect((JSON.parse(readFileSync(join(dir, '.strata-backups', 'fleet', folder, manifest), 'utf8')) as { tenant: string }).tenant).toBe(
        `w0${index}`,
      );
    }
  });

  it('SQLite on worker threads: SIGINT stops new tenants, exits 130, and leaves every tenant whole', async () => {
    const dir = migrationsProject();
    mkdirSync(join(dir, 'tenants'));
    const names = Array.from({ length: 60 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    for (const name of names) writeFileSync(join(dir, 'tenants', `${name}.db`), '');
    const child = spawn(process.execPath, [BIN, 'up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', '4'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, STRATA_NO_CACHE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!sent && (stdout.match(/^ok /gm) ?? []).length >= 4) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', (status) => resolve(status)));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted; \d+ tenants were not run/);
    for (const name of names) {
      const db = new Database(join(dir, 'tenants', `${name}.db`), { readonly: true });
      try {
        const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'strata_migrations'").get();
        if (!hasTable) continue;
        const applied = (db.prepare('SELECT count(*) AS n FROM strata_migrations').get() as { n: number }).n;
        const events = (
          db.prepare("SELECT count(*) AS n FROM strata_events WHERE action = 'apply' AND outcome = 'ok'").get() as { n: number }
        ).n;
        expect({ name, applied }).toEqual({ name, applied: events });
      } finally {
        db.close();
      }
    }
  });

  it('exits 1 and lists the failed tenant; one line per tenant on a pipe', async () => {
    const dir = migrationsProject();
    mkdirSync(join(dir, 'tenants'));
    for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, 'tenants', `${name}.db`), '');
    const db = new Database(join(dir, 'tenants', 'b.db'));
    db.exec('CREATE TABLE t3 (x INTEGER)');
    db.close();
    const ran = strata(dir, ['up', '--fleet', 'sqlite:tenants/*.db'], { STRATA_NO_CACHE: '1' });
    expect(ran.code).toBe(1);
    expect(ran.stdout.split('\n').filter((l) => /^(ok|failed) /.test(l))).toHaveLength(3);
    expect(ran.stdout).toMatch(/^failed {2}b {2}STRATA_MIGRATION_FAILED/m);
    expect(ran.stderr).toMatch(/^failed tenants: b$/m);
  });
});
