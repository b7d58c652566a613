// End-to-end tests of issue 10's edge items: secrets in stored events, URLs with raw reserved
// characters, control characters and symlinks in file names, oversized and degenerate files.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project, type Ran, strata } from './bin.js';

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
      const rows = (await client.query('SELECT error_message, details::text AS details FROM strata_events')).rows as { error_message: string | null; details: string | null }[];
      expect(rows.filter((row) => row.error_message?.includes('leaked')).length).toBe(3);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(urlSecret);
      expect(stored).not.toContain(envSecret);
    } finally {
      await client.end();
    }
  }, 120_000);
});
