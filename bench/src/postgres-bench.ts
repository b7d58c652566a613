import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createMigrator } from '@strata/core';
import coreSchema from '@strata/core-schema';
import { createPostgresDialect } from '@strata/dialect-postgres';
import { adminQuery, createDatabase } from './pg-database.js';
import { median, ratioRow, type Row } from './table.js';
import { smallMigrationSql, smallModule, smallVersion } from './workload.js';

const freshDatabase = () => createDatabase('w');
const drop = (name: string) => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);

const RECORD_TABLE = 'CREATE TABLE IF NOT EXISTS migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL);\n';
const record = (version: string) => `INSERT INTO migrations (version, applied_at) VALUES ('${version}', now());\n`;

function psqlSingle(url: string, file: string): number {
  const started = performance.now();
  const result = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', file, url], { encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return ms;
}

async function pgLoop(url: string, count: number): Promise<number> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(RECORD_TABLE);
  for (let i = 0; i < count; i++) {
    await client.query(`BEGIN;\n${smallMigrationSql(i)}\n${record(smallVersion(i))}COMMIT;`);
  }
  await client.end();
  return performance.now() - started;
}

async function strataUp(
  url: string,
  sources: Parameters<typeof createMigrator>[0]['sources'],
  singleTransaction: boolean,
  expected: number,
): Promise<number> {
  const started = performance.now();
  const migrator = createMigrator({ dialect: createPostgresDialect({ connectionString: url }), sources });
  const report = await migrator.up({ singleTransaction });
  await migrator.close();
  const ms = performance.now() - started;
  if (report.steps.length !== expected) throw new Error(`postgres bench: applied ${report.steps.length} of ${expected}`);
  return ms;
}

export async function benchPostgres(options: { work: string; rounds: number; count: number }): Promise<Row[]> {
  const { work, rounds, count } = options;
  const w2File = join(work, 'w2.sql');
  writeFileSync(
    w2File,
    RECORD_TABLE + Array.from({ length: count }, (_, i) => `${smallMigrationSql(i)}\n${record(smallVersion(i))}`).join(''),
  );
  const w1File = join(work, 'w1.sql');
  const coreBodies = coreSchema.definitions.map((d) => (d.up as Record<string, string>).postgres);
  writeFileSync(w1File, RECORD_TABLE + coreBodies.map((body, i) => `${body}\n${record(`1.${i}.0`)}`).join('\n'));

  const s = {
    psql: [] as number[],
    loop: [] as number[],
    strata: [] as number[],
    strataSingle: [] as number[],
    w1psql: [] as number[],
    w1strata: [] as number[],
    w3: [] as number[],
  };
  const module = smallModule(count);
  for (let r = 0; r < rounds; r++) {
    for (const [key, run] of [
      ['psql', async (url: string) => psqlSingle(url, w2File)],
      ['loop', async (url: string) => pgLoop(url, count)],
      ['strata', async (url: string) => strataUp(url, [module], false, count)],
      ['strataSingle', async (url: string) => strataUp(url, [module], true, count)],
      ['w1psql', async (url: string) => psqlSingle(url, w1File)],
      ['w1strata', async (url: string) => strataUp(url, [coreSchema], false, coreBodies.length)],
    ] as const) {
      const db = await freshDatabase();
      try {
        s[key].push(await run(db.url));
        if (key === 'strata' && r === 0) {
          // W3 on the database strata just filled: up with nothing to do.
          for (let i = 0; i < Math.max(5, rounds); i++) {
            const started = performance.now();
            const migrator = createMigrator({ dialect: createPostgresDialect({ connectionString: db.url }), sources: [module] });
            const report = await migrator.up();
            await migrator.close();
            s.w3.push(performance.now() - started);
            if (report.steps.length) throw new Error('W3: expected nothing to do');
          }
        }
      } finally {
        await drop(db.name);
      }
    }
  }
  const w2 = `PostgreSQL W2: ${count} small migrations`;
  const psql = median(s.psql);
  const w1 = 'PostgreSQL W1: seed schema (8 tables, 40 indexes)';
  const w1psql = median(s.w1psql);
  return [
    { workload: w2, subject: 'psql -1 -f (one tx)', ms: psql },
    { workload: w2, subject: 'node pg loop, tx each, 1 round trip each', ms: median(s.loop) },
    ratioRow(w2, 'strata up (tx each + state row + event)', median(s.strata), 'psql -1', psql, 1.2),
    ratioRow(w2, 'strata up --single-transaction', median(s.strataSingle), 'psql -1', psql, 1.2),
    { workload: w1, subject: 'psql -1 -f', ms: w1psql },
    ratioRow(w1, 'strata up (in-process)', median(s.w1strata), 'psql -1', w1psql, 1.5),
    { workload: `PostgreSQL W3: up, nothing to do, ${count} applied`, subject: 'strata up (in-process)', ms: median(s.w3) },
  ];
}
