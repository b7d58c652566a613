// End-to-end tests of issue 10's edge items: secrets in stored events, URLs with raw reserved
// characters, control characters and symlinks in file names, oversized and degenerate files.
import { spawn } from 'node:child_process';
import { existsSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project, type Ran, strata } from './bin.js';

const require = createRequire(import.meta.url);
const Database = require(
  require.resolve('better-sqlite3', { paths: [fileURLToPath(new URL('..', import.meta.url))] }),
) as typeof import('better-sqlite3');

function json(ran: Ran): any {
  return JSON.parse(ran.stdout);
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm build\` first`);
});

describe('strata keeps passwords out of the database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_edges');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('stores no password from the URL or PGPASSWORD in strata_events, and history --json shows none', async () => {
    const urlSecret = `UrlPw${Math.random().toString(36).slice(2, 10)}`;
    const envSecret = `EnvPw${Math.random().toString(36).slice(2, 10)}`;
    const url = new URL(database.url);
    url.password = urlSecret;
    const env = { DATABASE_URL: url.href, PGPASSWORD: envSecret };
    // A server message quoting both (RAISE EXCEPTION), and a JS migration whose own error does.
    const raising = project({
      'migrations/1.0.0_raise.sql': `-- strata:up\nCREATE TABLE raise_check (id int);\nDO $$ BEGIN RAISE EXCEPTION 'leaked % and %', '${urlSecret}', '${envSecret}'; END $$;\n`,
    });
    const throwing = project({
      'migrations/1.0.0_throw.mjs': `export default { up: async (ctx) => { await ctx.execute('SELECT 1'); throw new Error('leaked ${urlSecret} and ' + process.env.PGPASSWORD); } };\n`,
    });
    const nonTransactional = project({
      'migrations/1.0.0_nontx.mjs': `export default { transaction: false, up: async () => { throw new Error('leaked ${urlSecret} and ${envSecret}'); } };\n`,
    });
    for (const dir of [raising, throwing, nonTransactional]) {
      const ran = strata(dir, ['up', '--no-backup', '--json'], env);
      expect(ran.code, ran.stderr).toBe(1);
      expect(ran.stdout + ran.stderr).not.toContain(urlSecret);
      expect(ran.stdout + ran.stderr).not.toContain(envSecret);
      const history = strata(dir, ['history', '--json'], env);
      expect(history.code, history.stderr).toBe(0);
      expect(json(history).events.some((e: any) => e.outcome === 'failed' && /leaked \*\*\* and \*\*\*/.test(e.errorMessage))).toBe(true);
      expect(history.stdout).not.toContain(urlSecret);
      expect(history.stdout).not.toContain(envSecret);
      // Clean up the failed row of the non-transactional one so the next project starts clean.
      strata(dir, ['repair', '--drop-failed', '--yes'], env);
    }
    // Read the table directly: the terminal's redaction cannot hide what was stored.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const rows = (await client.query('SELECT error_message, details::text AS details FROM strata_events')).rows as {
        error_message: string | null;
        details: string | null;
      }[];
      expect(rows.filter((row) => row.error_message?.includes('leaked')).length).toBe(3);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(urlSecret);
      expect(stored).not.toContain(envSecret);
    } finally {
      await client.end();
    }
  }, 120_000);
});

describe('strata treats file names as data', () => {
  it('escapes control characters of file names in every human line, and refuses a symlink out of the folder', () => {
    const forged = '\nOK: 5 migrations applied\u001b[2J\r';
    const dir = project({
      'migrations/1.0.0_ok.sql': '-- strata:up\nCREATE TABLE ok (id int);\n',
      // An invalid version (a problem naming the file) and a near miss (a warning naming it).
      'migrations/1.1.0\u001b[31m\u009b2J_bad.sql': '-- strata:up\nCREATE TABLE bad (id int);\n',
      [`migrations/notes${forged}.sql`]: 'not a migration',
      'elsewhere/evil.sql': '-- strata:up\nCREATE TABLE evil (id int);\n',
      // An empty file is an empty SQLite database: status and validate never create one.
      'app.db': '',
    });
    symlinkSync(join(dir, 'elsewhere', 'evil.sql'), join(dir, 'migrations', '1.2.0_linked.sql'));
    for (const command of ['status', 'validate', 'up']) {
      const ran = strata(dir, [command, '--url', 'sqlite:./app.db']);
      expect(ran.code, `${command}: ${ran.stderr}`).toBe(3);
      const all = ran.stdout + ran.stderr;
      expect(all).not.toMatch(/[\u001b\r\u009b]/);
      expect(all).toContain('1.1.0\\e[31m\\x9b2J_bad.sql');
      // The forged text never starts a line of its own.
      expect(all.split('\n').some((line) => line.startsWith('OK: 5 migrations'))).toBe(false);
      expect(all).toContain('\\nOK: 5 migrations applied\\e[2J\\r');
      expect(all).toMatch(/1\.2\.0_linked\.sql: a symbolic link to a file outside the migrations folder/);
    }
    const json = strata(dir, ['validate', '--json', '--url', 'sqlite:./app.db']);
    expect(json.code).toBe(3);
    expect(json.stdout).not.toMatch(/[\u001b\r\u009b]/);
    const problems = JSON.parse(json.stdout).problems as { code: string; message: string }[];
    expect(problems.map((p) => p.code).sort()).toEqual(['STRATA_INVALID_MIGRATION', 'STRATA_INVALID_VERSION']);
    // JSON keeps the real name (escaped by JSON itself).
    expect(problems.some((p) => p.message.includes('1.1.0\u001b[31m\u009b2J_bad.sql'))).toBe(true);
  });
});

describe('strata refuses oversized and statement-less migration files', () => {
  it('exit 3 with STRATA_FILE_TOO_LARGE for a sparse 582 MB file, without reading it; the limit is configurable', () => {
    const dir = project({ 'migrations/1.0.0_ok.sql': '-- strata:up\nCREATE TABLE ok (id int);\n', 'app.db': '' });
    const huge = join(dir, 'migrations', '1.1.0_dump.sql');
    writeFileSync(huge, '-- strata:up\n');
    truncateSync(huge, 582 * 1024 * 1024);
    const ran = strata(dir, ['up', '--json', '--url', 'sqlite:./app.db']);
    expect(ran.code, ran.stderr).toBe(3);
    expect(JSON.parse(ran.stdout).error).toMatchObject({
      code: 'STRATA_FILE_TOO_LARGE',
      message: expect.stringMatching(/1\.1\.0_dump\.sql: the file is 582 MiB, over the migration file size limit of 64 MiB/),
    });
    // A lower limit from the environment or the config.
    truncateSync(huge, 0);
    writeFileSync(huge, `-- strata:up\n${'SELECT 1;\n'.repeat(200)}`);
    const byEnv = strata(dir, ['validate', '--url', 'sqlite:./app.db'], { STRATA_MAX_FILE_BYTES: '1KiB' });
    expect(byEnv.code).toBe(3);
    expect(byEnv.stdout + byEnv.stderr).toMatch(/over the migration file size limit of 1 KiB/);
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ maxFileBytes: 1500 }));
    const byConfig = strata(dir, ['validate', '--url', 'sqlite:./app.db']);
    expect(byConfig.code).toBe(3);
    expect(byConfig.stdout + byConfig.stderr).toMatch(/over the migration file size limit of 1\.5 KiB/);
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ maxFileBytes: 'lots' }));
    expect(strata(dir, ['validate', '--url', 'sqlite:./app.db']).code).toBe(2);
  });

  it('exit 3 for an up section of only semicolons; nothing is recorded', () => {
    const dir = project({ 'migrations/1.0.0_nothing.sql': '-- strata:up\n;;;\n' });
    const ran = strata(dir, ['up', '--url', 'sqlite:./app.db']);
    expect(ran.code).toBe(3);
    expect(ran.stderr).toMatch(/1\.0\.0_nothing\.sql:2: the up section holds no statement/);
    expect(existsSync(join(dir, 'app.db'))).toBe(false);
  });
});

describe('strata reads URLs with raw reserved characters in the password as users mean them', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_edges_url');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('connects to the printed host, never to one made of the password’s tail, and prints no fragment of it', () => {
    const server = new URL(database.url);
    // `new URL` would end the credentials at `#` and take "nowhere.invalid" for the host.
    const password = 'Raw@pw#nowhere.invalid/x?y%zz';
    const url = `postgres://${server.username}:${password}@${server.host}${server.pathname}`;
    const dir = project({ 'migrations/1.0.0_ok.sql': '-- strata:up\nCREATE TABLE url_ok (id int);\n' });
    for (const args of [
      ['up', '--no-backup'],
      ['status', '--verbose'],
      ['history', '--json'],
    ]) {
      const ran = strata(dir, [...args, '--url', url]);
      expect(ran.code, `${args.join(' ')}: ${ran.stderr}`).toBe(0);
      const all = ran.stdout + ran.stderr;
      for (const fragment of ['Raw', 'nowhere', 'y%zz', '#']) expect(all, args.join(' ')).not.toContain(fragment);
      if (args[0] === 'status')
        expect(ran.stderr).toContain(`target: postgres://${server.username}:***@${server.host}${server.pathname} (from --url)`);
    }
  });
});

describe('SIGINT during a SQLite run', () => {
  it('exits 130 and reports from the state table what committed, not an assumed rollback', async () => {
    const heavy = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000000) SELECT count(*) AS n FROM c';
    const dir = project({
      'migrations/1.0.0_first.sql': '-- strata:up\nCREATE TABLE first_table (id integer);\n',
      'migrations/1.1.0_heavy.sql': `-- strata:up\nCREATE TABLE heavy AS ${heavy};\n`,
      'migrations/1.2.0_after.sql': '-- strata:up\nCREATE TABLE after_table (id integer);\n',
    });
    const child = spawn(process.execPath, [BIN, 'up', '--no-backup'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/applied\s+app@1\.0\.0/.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no first migration: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill('SIGINT');
      expect(await exited, output).toBe(130);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const message = /error STRATA_INTERRUPTED: (.*)/.exec(output)?.[1] ?? '';
    const db = new Database(join(dir, 'strata.db'), { readonly: true });
    const applied = (
      db.prepare('SELECT module, version FROM strata_migrations ORDER BY version').all() as { module: string; version: string }[]
    ).map((r) => `${r.module}@${r.version}`);
    db.close();
    // Whatever the timing, the message lists exactly what the state table holds.
    expect(message).toContain(`applied ${applied.join(', ')};`);
    expect(message).toMatch(/\(read back from the state table\)$/);
    if (applied.includes('app@1.1.0')) expect(message).not.toMatch(/rolled back/);
    expect(applied).not.toContain('app@1.2.0');
  });
});
