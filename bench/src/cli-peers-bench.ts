/**
 * Whole-process comparison with the peers' command lines (issue 4's benchmark), `--only cli-peers`:
 *   start-up: `node -e 0` and `strata --version`;
 *   W3 on SQLite and PostgreSQL: `up` with nothing to do and `count` applied, strata's CLI against
 *     each peer's CLI (or, where a tool has none, the few-line script its users write);
 *   W1 on SQLite (against a bare better-sqlite3 script) and PostgreSQL (against `psql -1 -f`):
 *     `strata up --modules @strata/core-schema` on a fresh database.
 * The subjects alternate within each round. Scripts and knexfiles live in a scratch folder inside
 * bench/ (removed afterwards) so that they resolve the peers from bench's node_modules. Node CLIs are
 * spawned as `node <entry>` (not through node_modules/.bin shell shims), like `node strata.cjs`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { dbmateArgs, dbmateBinary, writeDbmateFiles } from './peer-dbmate.js';
import { writeNodePgMigrateFiles } from './peer-node-pg-migrate.js';
import { writePostgratorFiles } from './peer-postgrator.js';
import { writeStrataFiles } from './peer-strata.js';
import { BENCH_DIR, type MigrationSet, packageFile, peerVersion, seq, splitStatements, type Target, w1Set, w2Set } from './peer-types.js';
import { createDatabase, dropDatabase, type BenchDatabase } from './pg-database.js';
import { median, type Row } from './table.js';

const STRATA = fileURLToPath(new URL('../../apps/strata/dist/strata.cjs', import.meta.url));
const NODE = process.execPath;

interface Command {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd: string;
}

function timeCommand(c: Command): number {
  const started = performance.now();
  const result = spawnSync(c.command, c.args, {
    cwd: c.cwd,
    env: { ...process.env, ...c.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  if (result.status !== 0)
    throw new Error(
      `${c.command} ${c.args.join(' ')} failed (${result.status ?? result.signal}): ${(result.stderr || result.stdout).slice(0, 2000)}`,
    );
  return ms;
}

const lit = (s: string) => JSON.stringify(s);

/** knex: a folder of CommonJS migration files and a knexfile per database. */
function knexProject(dir: string, set: MigrationSet, target: Target, tag: string): string {
  const folder = join(dir, 'knex-migrations');
  if (!existsSync(folder)) {
    mkdirSync(folder, { recursive: true });
    set.migrations.forEach((m, i) => {
      const up = splitStatements(m.sql)
        .map((s) => `  await knex.raw(${lit(s)});`)
        .join('\n');
      writeFileSync(
        join(folder, `${seq(i)}_${m.name}.cjs`),
        `exports.up = async (knex) => {\n${up}\n};\nexports.down = async (knex) => {\n  await knex.raw(${lit(m.down)});\n};\n`,
      );
    });
  }
  const connection = target.dialect === 'postgres' ? lit(target.url) : `{ filename: ${lit(target.filename)} }`;
  const client = target.dialect === 'postgres' ? "'pg'" : "'better-sqlite3'";
  const knexfile = join(dir, `knexfile-${tag}.cjs`);
  writeFileSync(
    knexfile,
    `module.exports = { client: ${client}, connection: ${connection}, useNullAsDefault: true, migrations: { directory: ${lit(folder)}, loadExtensions: ['.cjs'] } };\n`,
  );
  return knexfile;
}

/** Kysely: a folder of ESM migration files read by its FileMigrationProvider, and the script that runs its Migrator. */
function kyselyProject(dir: string, set: MigrationSet): string {
  const folder = join(dir, 'kysely-migrations');
  mkdirSync(folder, { recursive: true });
  set.migrations.forEach((m, i) => {
    const up = splitStatements(m.sql)
      .map((s) => `  await sql.raw(${lit(s)}).execute(db);`)
      .join('\n');
    writeFileSync(
      join(folder, `${seq(i)}_${m.name}.mjs`),
      `import { sql } from 'kysely';\nexport async function up(db) {\n${up}\n}\nexport async function down(db) {\n  await sql.raw(${lit(m.down)}).execute(db);\n}\n`,
    );
  });
  const script = join(dir, 'kysely-up.mjs');
  writeFileSync(
    script,
    `import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
const [kind, where] = process.argv.slice(2);
let dialect;
if (kind === 'postgres') {
  const { default: pg } = await import('pg');
  dialect = new PostgresDialect({ pool: new pg.Pool({ connectionString: where, max: 1 }) });
} else {
  const { default: Database } = await import('better-sqlite3');
  dialect = new SqliteDialect({ database: new Database(where) });
}
const db = new Kysely({ dialect });
const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: ${lit(folder)} }) });
const { error, results } = await migrator.migrateToLatest();
await db.destroy();
if (error) { console.error(error); process.exit(1); }
console.log(\`\${results.length} applied\`);
`,
  );
  return script;
}

/** umzug: no CLI of its own that runs SQL; the script its users write — a glob of SQL files and a table storage. */
function umzugProject(dir: string, set: MigrationSet): string {
  const folder = join(dir, 'umzug-migrations');
  mkdirSync(folder, { recursive: true });
  set.migrations.forEach((m, i) => writeFileSync(join(folder, `${seq(i)}_${m.name}.sql`), `${m.sql}\n`));
  const script = join(dir, 'umzug-up.mjs');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
import { Umzug } from 'umzug';
const [kind, where] = process.argv.slice(2);
let exec, storage, close;
if (kind === 'postgres') {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: where });
  await client.connect();
  exec = (sql) => client.query(sql);
  storage = {
    async executed() {
      await client.query('CREATE TABLE IF NOT EXISTS umzug_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      return (await client.query('SELECT name FROM umzug_migrations ORDER BY name')).rows.map((r) => r.name);
    },
    logMigration: async ({ name }) => void (await client.query('INSERT INTO umzug_migrations (name) VALUES ($1)', [name])),
    unlogMigration: async ({ name }) => void (await client.query('DELETE FROM umzug_migrations WHERE name = $1', [name])),
  };
  close = () => client.end();
} else {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(where);
  exec = async (sql) => void db.exec(sql);
  storage = {
    async executed() {
      db.exec("CREATE TABLE IF NOT EXISTS umzug_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))");
      return db.prepare('SELECT name FROM umzug_migrations ORDER BY name').all().map((r) => r.name);
    },
    logMigration: async ({ name }) => void db.prepare('INSERT INTO umzug_migrations (name) VALUES (?)').run(name),
    unlogMigration: async ({ name }) => void db.prepare('DELETE FROM umzug_migrations WHERE name = ?').run(name),
  };
  close = async () => db.close();
}
const umzug = new Umzug({
  migrations: { glob: ['*.sql', { cwd: ${lit(folder)} }], resolve: ({ name, path }) => ({ name, up: () => exec(readFileSync(path, 'utf8')) }) },
  storage,
  logger: undefined,
});
const applied = await umzug.up();
await close();
console.log(\`\${applied.length} applied\`);
`,
  );
  return script;
}

/** postgrator on SQLite: postgrator-cli's sqlite3 driver wants the native `sqlite3` package; the script on better-sqlite3 instead. */
function postgratorSqliteScript(dir: string, folder: string): string {
  const script = join(dir, 'postgrator-sqlite-up.mjs');
  writeFileSync(
    script,
    `import Database from 'better-sqlite3';
import Postgrator from 'postgrator';
const db = new Database(process.argv[2]);
const postgrator = new Postgrator({
  migrationPattern: ${lit(join(folder, '*'))},
  driver: 'sqlite3',
  execQuery: async (query) => {
    const statement = db.prepare(query);
    if (statement.reader) return { rows: statement.all() };
    statement.run();
    return { rows: [] };
  },
  execSqlScript: async (script) => void db.exec(script),
});
const applied = await postgrator.migrate();
db.close();
console.log(\`\${applied.length} applied\`);
`,
  );
  return script;
}

/** The bare better-sqlite3 script W1 on SQLite is compared with: both bodies and their record rows in one transaction. */
function bareSqliteW1Script(dir: string): string {
  const set = w1Set('sqlite');
  const script = join(dir, 'w1-better-sqlite3.mjs');
  writeFileSync(
    script,
    `import Database from 'better-sqlite3';
const db = new Database(process.argv[2]);
db.exec('CREATE TABLE IF NOT EXISTS migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)');
db.exec('BEGIN');
${set.migrations.map((m, i) => `db.exec(${lit(m.sql)});\ninsert.run(${lit(seq(i))}, new Date().toISOString());`).join('\n')}
db.exec('COMMIT');
db.close();
`,
  );
  return script;
}

/**
 * The floor of any Node tool on W1 PostgreSQL: require pg (with the navigator shim strata's bin
 * sets, so pg skips its Cloudflare probe), connect, send the psql file in one query, end.
 */
function barePgW1Script(dir: string, sqlFile: string): string {
  const script = join(dir, 'w1-pg.cjs');
  writeFileSync(
    script,
    `if (typeof globalThis.navigator === 'undefined') Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Node.js' }, configurable: true, writable: true });
const pg = require('pg');
const sql = require('node:fs').readFileSync(${lit(sqlFile)}, 'utf8');
(async () => {
  const client = new pg.Client({ connectionString: process.argv[2] });
  await client.connect();
  await client.query(['BEGIN;', sql, 'COMMIT;'].join(String.fromCharCode(10)));
  await client.end();
})().catch((error) => { console.error(error.message); process.exit(1); });
`,
  );
  return script;
}

function psqlW1File(dir: string): string {
  const set = w1Set('postgres');
  const file = join(dir, 'w1.sql');
  writeFileSync(
    file,
    'CREATE TABLE IF NOT EXISTS migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL);\n' +
      set.migrations.map((m, i) => `${m.sql}\nINSERT INTO migrations (version, applied_at) VALUES ('${seq(i)}', now());\n`).join('\n'),
  );
  return file;
}

async function lastTableExists(target: Target, count: number): Promise<boolean> {
  const name = `t_${count - 1}`;
  if (target.dialect === 'sqlite') {
    const db = new Database(target.filename, { readonly: true });
    try {
      return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    return (await client.query('SELECT to_regclass($1) AS t', [name])).rows[0].t !== null;
  } finally {
    await client.end();
  }
}

interface W3Subject {
  key: string;
  label: string;
  node: boolean;
  command: Command;
}

export async function benchCliPeers(options: { rounds: number; count: number }): Promise<Row[]> {
  if (!existsSync(STRATA)) return [{ workload: 'CLI peers', subject: 'skipped: apps/strata is not built', ms: 0 }];
  const { count } = options;
  // Whole processes are noisy: at least 5 rounds (a round spawns ~20 processes, Kysely's take 1-2 s).
  const rounds = Math.max(options.rounds, 5);
  const dir = mkdtempSync(join(BENCH_DIR, '.work-cli-'));
  const databases: BenchDatabase[] = [];
  const rows: Row[] = [];
  try {
    const set = w2Set('sqlite', count); // the W2 SQL is the same on both databases
    const strataFolder = join(dir, 'migrations');
    writeStrataFiles(set, strataFolder);
    const npmFolder = join(dir, 'npm-migrations');
    writeNodePgMigrateFiles(set, npmFolder);
    const postgratorFolder = join(dir, 'postgrator-migrations');
    writePostgratorFiles(set, postgratorFolder);
    const dbmateFolder = join(dir, 'dbmate-migrations');
    writeDbmateFiles(set, dbmateFolder);
    const kyselyScript = kyselyProject(dir, set);
    const umzugScript = umzugProject(dir, set);
    const postgratorScript = postgratorSqliteScript(dir, postgratorFolder);
    const knexCli = packageFile('knex', 'bin/cli.js');
    const dbmate = dbmateBinary();
    const v = peerVersion;

    const subjectsFor = (target: Target, tag: string): W3Subject[] => {
      const where = target.dialect === 'postgres' ? target.url : target.filename;
      const strataUrl = target.dialect === 'postgres' ? target.url : `sqlite:${target.filename}`;
      const list: W3Subject[] = [
        // The checksum cache in the work folder: each bench run starts cold, the first W3 run fills it.
        {
          key: 'strata',
          label: 'strata up',
          node: false,
          command: {
            command: NODE,
            args: [STRATA, 'up', '--url', strataUrl, '--no-backup'],
            env: { STRATA_CACHE_DIR: join(dir, '.strata-cache') },
            cwd: dir,
          },
        },
        {
          key: 'knex',
          label: `knex ${v('knex')} CLI: knex migrate:latest (knexfile, .cjs files)`,
          node: true,
          command: { command: NODE, args: [knexCli, 'migrate:latest', '--knexfile', knexProject(dir, set, target, tag)], cwd: dir },
        },
      ];
      if (target.dialect === 'postgres') {
        list.push({
          key: 'npm',
          label: `node-pg-migrate ${v('node-pg-migrate')} CLI: node-pg-migrate up (SQL files)`,
          node: true,
          command: {
            command: NODE,
            args: [packageFile('node-pg-migrate', 'bin/node-pg-migrate.js'), 'up', '-m', npmFolder],
            env: { DATABASE_URL: target.url },
            cwd: dir,
          },
        });
      }
      list.push(
        {
          key: 'umzug',
          label: `umzug ${v('umzug')}: node script (glob of SQL files, table storage; no CLI for SQL)`,
          node: true,
          command: { command: NODE, args: [umzugScript, target.dialect, where], cwd: dir },
        },
        {
          key: 'kysely',
          label: `Kysely ${v('kysely')}: node script (Migrator + FileMigrationProvider, .mjs files)`,
          node: true,
          command: { command: NODE, args: [kyselyScript, target.dialect, where], cwd: dir },
        },
      );
      if (target.dialect === 'postgres') {
        const url = new URL(target.url);
        list.push({
          key: 'postgrator',
          label: `postgrator-cli ${v('postgrator-cli')} (SQL files)`,
          node: true,
          command: {
            command: NODE,
            args: [
              packageFile('postgrator-cli', 'index.js'),
              '--no-config',
              '--driver',
              'pg',
              '--host',
              url.hostname,
              '--port',
              url.port || '5432',
              '--database',
              target.database,
              '--username',
              decodeURIComponent(url.username),
              '--migration-pattern',
              join(postgratorFolder, '*'),
            ],
            cwd: dir,
          },
        });
      } else {
        list.push({
          key: 'postgrator',
          label: `postgrator ${v('postgrator')}: node script on better-sqlite3 (postgrator-cli needs sqlite3)`,
          node: true,
          command: { command: NODE, args: [postgratorScript, where], cwd: dir },
        });
      }
      list.push(
        {
          key: 'dbmate',
          label: `dbmate ${v('dbmate')} (Go binary)`,
          node: false,
          command: { command: dbmate, args: dbmateArgs(target, dbmateFolder), cwd: dir },
        },
        {
          key: 'dbmateNpm',
          label: `dbmate ${v('dbmate')} via its npm bin (node wrapper + Go binary)`,
          node: false,
          command: { command: NODE, args: [packageFile('dbmate', 'dist/cli.js'), ...dbmateArgs(target, dbmateFolder)], cwd: dir },
        },
      );
      return list;
    };

    // Fill one database per tool and dialect with the tool's own command (untimed), then check it.
    const w3: { db: string; subjects: W3Subject[]; targets: Map<string, Target> }[] = [];
    for (const dialect of ['sqlite', 'postgres'] as const) {
      const targets = new Map<string, Target>();
      const subjects: W3Subject[] = [];
      for (const key of ['strata', 'knex', 'npm', 'umzug', 'kysely', 'postgrator', 'dbmate']) {
        if (key === 'npm' && dialect === 'sqlite') continue;
        let target: Target;
        if (dialect === 'postgres') {
          const db = await createDatabase(`cli${key}`);
          databases.push(db);
          target = { dialect, url: db.url, database: db.name };
        } else {
          target = { dialect, filename: join(dir, `w3-${key}.db`) };
        }
        const mine = subjectsFor(target, `${dialect}-${key}`).filter((s) => s.key === key || (key === 'dbmate' && s.key === 'dbmateNpm'));
        timeCommand(mine[0]!.command);
        if (!(await lastTableExists(target, count)))
          throw new Error(`CLI peers: ${mine[0]!.label} did not apply the ${count} migrations on ${dialect}`);
        for (const s of mine) {
          subjects.push(s);
          targets.set(s.key, target);
        }
      }
      w3.push({ db: dialect === 'postgres' ? 'PostgreSQL' : 'SQLite', subjects, targets });
    }

    const w1Dir = join(dir, 'w1'); // no ./migrations here: only the core module is applied
    mkdirSync(w1Dir);
    const bareScript = bareSqliteW1Script(w1Dir);
    const psqlFile = psqlW1File(w1Dir);
    // pg resolves from the bench package: the script lives in the work folder under bench/.
    const barePgScript = barePgW1Script(w1Dir, psqlFile);

    const samples = new Map<string, number[]>();
    const push = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
    let w1Number = 0;
    for (let r = 0; r < rounds; r++) {
      push('node', timeCommand({ command: NODE, args: ['-e', '0'], cwd: dir }));
      push('version', timeCommand({ command: NODE, args: [STRATA, '--version'], cwd: dir }));
      for (const group of w3) {
        const order = [...group.subjects.slice(r % group.subjects.length), ...group.subjects.slice(0, r % group.subjects.length)];
        for (const s of order) push(`${group.db}/${s.key}`, timeCommand(s.command));
      }
      // W1, fresh database each run.
      const sqliteFile = () => join(w1Dir, `w1-${w1Number++}.db`);
      push('w1sqlite/bare', timeCommand({ command: NODE, args: [bareScript, sqliteFile()], cwd: w1Dir }));
      push(
        'w1sqlite/strata',
        timeCommand({
          command: NODE,
          args: [STRATA, 'up', '--modules', '@strata/core-schema', '--url', `sqlite:${sqliteFile()}`, '--no-backup'],
          cwd: w1Dir,
        }),
      );
      const pgKeys = ['psql', 'bare', 'strata'];
      for (const key of [...pgKeys.slice(r % 3), ...pgKeys.slice(0, r % 3)]) {
        const db = await createDatabase(`w1cli${key}`);
        try {
          push(
            `w1pg/${key}`,
            timeCommand(
              key === 'psql'
                ? { command: 'psql', args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', psqlFile, db.url], cwd: w1Dir }
                : key === 'bare'
                  ? { command: NODE, args: [barePgScript, db.url], cwd: w1Dir }
                  : { command: NODE, args: [STRATA, 'up', '--modules', '@strata/core-schema', '--url', db.url, '--no-backup'], cwd: w1Dir },
            ),
          );
        } finally {
          await dropDatabase(db);
        }
      }
    }

    const med = (key: string) => median(samples.get(key)!);
    const node = med('node');
    rows.push({ workload: 'CLI start-up (whole process)', subject: 'node -e 0', ms: node });
    rows.push({
      workload: 'CLI start-up (whole process)',
      subject: 'strata --version',
      ms: med('version'),
      baseline: 'node -e 0',
      baselineMs: node,
      target: '<= 1.3x',
      ok: med('version') / node <= 1.3,
    });
    for (const group of w3) {
      const w = `CLI W3 ${group.db}: up, nothing to do, ${count} applied (whole process)`;
      const strata = med(`${group.db}/strata`);
      const best = group.subjects
        .filter((s) => s.node)
        .map((s) => ({ s, ms: med(`${group.db}/${s.key}`) }))
        .sort((a, b) => a.ms - b.ms)[0]!;
      rows.push({
        workload: w,
        subject: `strata up (${count} SQL files; checksum cache, filled by the first run); ${(strata / node).toFixed(2)}x node -e 0; best Node peer takes ${(best.ms / strata).toFixed(2)}x strata's time`,
        ms: strata,
        baseline: `best Node peer CLI: ${best.s.label.split(/ \d/)[0]}`,
        baselineMs: best.ms,
        target: '<= 0.67x (>= 1.5x ahead)',
        ok: best.ms / strata >= 1.5,
      });
      for (const s of group.subjects.filter((x) => x.key !== 'strata'))
        rows.push({ workload: w, subject: s.label, ms: med(`${group.db}/${s.key}`), baseline: 'strata up', baselineMs: strata });
    }
    const w1s = 'CLI W1 SQLite: core schema on a fresh file (whole process)';
    rows.push({ workload: w1s, subject: 'node script: bare better-sqlite3, both bodies in one tx', ms: med('w1sqlite/bare') });
    rows.push({
      workload: w1s,
      subject: 'strata up --modules @strata/core-schema --no-backup',
      ms: med('w1sqlite/strata'),
      baseline: 'bare better-sqlite3 script',
      baselineMs: med('w1sqlite/bare'),
      target: '<= 1.3x',
      ok: med('w1sqlite/strata') / med('w1sqlite/bare') <= 1.3,
    });
    const w1p = 'CLI W1 PostgreSQL: core schema on a fresh database (whole process)';
    rows.push({ workload: w1p, subject: 'psql -1 -f', ms: med('w1pg/psql') });
    rows.push({
      workload: w1p,
      subject: 'node script: bare pg, the psql file in one query (the floor of any Node tool)',
      ms: med('w1pg/bare'),
      baseline: 'psql -1',
      baselineMs: med('w1pg/psql'),
    });
    rows.push({
      workload: w1p,
      subject: 'strata up --modules @strata/core-schema --no-backup',
      ms: med('w1pg/strata'),
      baseline: 'psql -1',
      baselineMs: med('w1pg/psql'),
      target: '<= 1.5x',
      ok: med('w1pg/strata') / med('w1pg/psql') <= 1.5,
    });
  } finally {
    for (const db of databases) await dropDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
