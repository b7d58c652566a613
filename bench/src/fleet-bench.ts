import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { createDatabase, dropDatabase } from './pg-database.js';
import type { Row } from './table.js';
import { writeSmallMigrations } from './workload.js';

const BIN = fileURLToPath(new URL('../../apps/strata/dist/strata.cjs', import.meta.url));
const dist = (pkg: string) => pathToFileURL(fileURLToPath(new URL(`../../packages/${pkg}/dist/index.js`, import.meta.url))).href;

/** Runs a command under /usr/bin/time: wall time and the peak RSS of the process tree's largest member. */
function measure(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { ms: number; rssMb: number } {
  const started = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, STRATA_NO_CACHE: '1', ...env },
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  const kb = Number(result.stderr.trim().split('\n').pop());
  return { ms, rssMb: kb / 1024 };
}

/** The plain Node script a user would write: one migrator per tenant, in a loop. */
function loopScript(kind: 'sqlite' | 'postgres'): string {
  return `import { createFileSource, createMigrator } from '${dist('core')}';
import { ${kind === 'sqlite' ? 'createSqliteDialect' : 'createPostgresDialect'} } from '${dist(kind === 'sqlite' ? 'dialect-sqlite' : 'dialect-postgres')}';
const [migrations, ...tenants] = process.argv.slice(2);
const source = createFileSource({ directory: migrations });
for (const tenant of tenants) {
  const dialect = ${kind === 'sqlite' ? 'createSqliteDialect({ filename: tenant })' : 'createPostgresDialect({ connectionString: process.env.URL, schema: tenant })'};
  const migrator = createMigrator({ dialect, sources: [source] });
  await migrator.up();
  await migrator.close();
}
`;
}

/**
 * W5 (issue 16): T tenants × 10 small migrations from empty, whole process: `strata up --fleet`
 * at concurrency 1, 2, 4, 8 (SQLite: on worker threads from 2 up; also once on the main thread), against a shell loop of `strata up` per tenant and a plain Node
 * script looping the migrator. SQLite: T files; PostgreSQL: T schemas in one database.
 */
export async function benchFleet(options: {
  work: string;
  rounds: number;
  tenants: number;
  dialects: ('sqlite' | 'postgres')[];
}): Promise<Row[]> {
  if (!existsSync(BIN)) return [{ workload: 'W5 fleet', subject: 'skipped: apps/strata is not built', ms: 0 }];
  const { work, tenants } = options;
  const migrationsPerTenant = 10;
  const total = tenants * migrationsPerTenant;
  const project = join(work, 'fleet-project');
  writeSmallMigrations(join(project, 'migrations'), migrationsPerTenant);
  writeFileSync(join(project, 'loop-sqlite.mjs'), loopScript('sqlite'));
  writeFileSync(join(project, 'loop-postgres.mjs'), loopScript('postgres'));
  const names = Array.from({ length: tenants }, (_, i) => `tenant_${String(i).padStart(4, '0')}`);
  const rows: Row[] = [];
  const row = (workload: string, subject: string, m: { ms: number; rssMb: number }) => {
    const rate = Math.round((total * 1000) / m.ms);
    console.log(`  ${workload} | ${subject}: ${m.ms.toFixed(0)} ms, ${rate} migrations/s, peak RSS ${m.rssMb.toFixed(0)} MB`);
    rows.push({ workload, subject: `${subject} — ${rate} migrations/s, peak RSS ${m.rssMb.toFixed(0)} MB`, ms: m.ms });
  };

  if (options.dialects.includes('sqlite')) {
    const workload = `SQLite W5: ${tenants} tenant files × ${migrationsPerTenant} migrations`;
    const fresh = () => {
      const dir = join(project, 'tenants');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      for (const name of names) writeFileSync(join(dir, `${name}.db`), '');
      return names.map((name) => join(dir, `${name}.db`));
    };
    for (let round = 0; round < options.rounds; round++) {
      for (const concurrency of [1, 2, 4, 8]) {
        fresh();
        row(
          workload,
          `strata up --fleet (concurrency ${concurrency})`,
          measure(
            process.execPath,
            [BIN, 'up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', String(concurrency), '--quiet'],
            project,
          ),
        );
      }
      // The same fleet on the main thread alone (as before worker threads): the threads' gain, same sitting.
      fresh();
      row(
        workload,
        'strata up --fleet, main thread only (STRATA_FLEET_THREADS=0, concurrency 8)',
        measure(process.execPath, [BIN, 'up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', '8', '--quiet'], project, {
          STRATA_FLEET_THREADS: '0',
        }),
      );
      fresh();
      row(
        workload,
        'strata up --fleet --single-transaction (concurrency 2)',
        measure(
          process.execPath,
          [BIN, 'up', '--fleet', 'sqlite:tenants/*.db', '--single-transaction', '--concurrency', '2', '--quiet'],
          project,
        ),
      );
      fresh();
      row(
        workload,
        'shell loop of strata up per tenant',
        measure(
          'sh',
          ['-c', `for f in tenants/*.db; do "${process.execPath}" "${BIN}" up --url "sqlite:$f" --no-backup --quiet || exit 1; done`],
          project,
        ),
      );
      const files = fresh();
      row(
        workload,
        'plain Node script looping createMigrator',
        measure(process.execPath, ['loop-sqlite.mjs', join(project, 'migrations'), ...files], project),
      );
    }
  }

  if (options.dialects.includes('postgres')) {
    const workload = `PostgreSQL W5: ${tenants} schemas × ${migrationsPerTenant} migrations, one database`;
    const withFresh = async (subject: string, run: (url: string) => { ms: number; rssMb: number }) => {
      const database = await createDatabase('fleet');
      try {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        await client.query(names.map((n) => `CREATE SCHEMA ${n};`).join('\n'));
        await client.end();
        row(workload, subject, run(database.url));
      } finally {
        await dropDatabase(database);
      }
    };
    for (let round = 0; round < options.rounds; round++) {
      for (const concurrency of [1, 2, 4, 8]) {
        await withFresh(`strata up --fleet (concurrency ${concurrency})`, (url) =>
          measure(
            process.execPath,
            [BIN, 'up', '--fleet', 'schemas:tenant_*', '--url', url, '--concurrency', String(concurrency), '--quiet'],
            project,
          ),
        );
      }
      await withFresh('strata up --fleet --single-transaction (concurrency 8)', (url) =>
        measure(
          process.execPath,
          [BIN, 'up', '--fleet', 'schemas:tenant_*', '--url', url, '--single-transaction', '--concurrency', '8', '--quiet'],
          project,
        ),
      );
      await withFresh('shell loop of strata up per tenant', (url) => {
        writeFileSync(join(project, 'schemas.txt'), names.join('\n'));
        // The CLI takes the schema from the config: the loop writes one per tenant.
        return measure(
          'sh',
          [
            '-c',
            `while read s; do printf '{"schema":"%s"}' "$s" > strata.config.json; "${process.execPath}" "${BIN}" up --url "${url}" --no-backup --quiet || exit 1; done < schemas.txt; rm -f strata.config.json`,
          ],
          project,
        );
      });
      await withFresh('plain Node script looping createMigrator', (url) =>
        measure(process.execPath, ['loop-postgres.mjs', join(project, 'migrations'), ...names], project, { URL: url }),
      );
    }
  }
  return rows;
}
