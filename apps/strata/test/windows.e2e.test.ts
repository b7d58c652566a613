import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project, strata } from './bin.js';

// Maintenance windows through the built bin. STRATA_TEST_NOW (test-only) sets the run's clock, so
// the window is closed or open "now" whatever the real time.

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata...\` first (the root test script does)`);
});

const WINDOWS = { nightly: { days: 'mon-fri', from: '22:00', to: '04:00', timezone: 'America/New_York' } };
// Wednesday 2026-03-25 19:00 EDT: nightly opens at 22:00 EDT (02:00Z), in 3 h.
const CLOSED = '2026-03-25T23:00:00Z';
const OPEN = '2026-03-26T03:00:00Z';

function files(config: object): Record<string, string> {
  return {
    'strata.config.json': JSON.stringify(config),
    'migrations/1.0.0_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n',
    'migrations/1.1.0_email_index.sql': '-- strata:window nightly\nCREATE INDEX users_email ON users (email);\n',
    'migrations/1.2.0_posts.mjs':
      "export default { window: 'nightly', up: async ({ execute }) => { await execute('CREATE TABLE posts (id INTEGER PRIMARY KEY)'); } };\n",
  };
}

describe('maintenance windows (the built bin)', () => {
  it('SQLite: exit 8 before the windowed migration, status says when it opens, an open window applies SQL and script migrations', () => {
    const dir = project(files({ url: 'sqlite:./app.db', windows: WINDOWS }));
    const closed = strata(dir, ['up', '--json'], { STRATA_TEST_NOW: CLOSED });
    expect(closed.code, closed.stderr).toBe(8);
    const report = JSON.parse(closed.stdout);
    expect(report.steps.map((s: { id: string }) => s.id)).toEqual(['app@1.0.0']);
    expect(report.deferred).toMatchObject({
      code: 'STRATA_DEFERRED',
      migrationId: 'app@1.1.0',
      window: 'nightly',
      opensAt: '2026-03-26T02:00:00.000Z',
    });

    const status = strata(dir, ['status'], { STRATA_TEST_NOW: CLOSED });
    expect(status.code).toBe(0);
    expect(status.stdout + status.stderr).toContain('waiting for window nightly (opens 2026-03-25 22:00 America/New_York, in 3 h)');

    const open = strata(dir, ['up', '--json'], { STRATA_TEST_NOW: OPEN });
    expect(open.code, open.stderr).toBe(0);
    expect(JSON.parse(open.stdout).steps.map((s: { id: string }) => s.id)).toEqual(['app@1.1.0', 'app@1.2.0']);
  });

  it('SQLite: a script migration names its window with the window field', () => {
    const dir = project({
      ...files({ url: 'sqlite:./app.db', windows: WINDOWS }),
      'migrations/1.1.0_email_index.sql': 'CREATE INDEX users_email ON users (email);\n',
    });
    const closed = strata(dir, ['up', '--json'], { STRATA_TEST_NOW: CLOSED });
    expect(closed.code, closed.stderr).toBe(8);
    expect(JSON.parse(closed.stdout).deferred).toMatchObject({ migrationId: 'app@1.2.0', window: 'nightly' });
  });

  describe('PostgreSQL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase('strata_win');
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('exit 8 with a deferred event in strata_events; then applies when the window is open', () => {
      const dir = project({
        ...files({ url: database.url, windows: WINDOWS }),
        // What a window is for: an index build that should wait for the quiet hours.
        'migrations/1.1.0_email_index.sql':
          '-- strata:transaction off\n-- strata:window nightly\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n',
      });
      const closed = strata(dir, ['up', '--json', '--no-backup'], { STRATA_TEST_NOW: CLOSED });
      expect(closed.code, closed.stderr).toBe(8);
      expect(JSON.parse(closed.stdout).deferred).toMatchObject({ migrationId: 'app@1.1.0', window: 'nightly' });
      const history = JSON.parse(strata(dir, ['history', '--json'], { STRATA_TEST_NOW: CLOSED }).stdout);
      expect(history.events.filter((e: { action: string }) => e.action === 'deferred')).toEqual([
        expect.objectContaining({ migrationId: 'app@1.1.0', outcome: 'skipped' }),
      ]);
      const open = strata(dir, ['up', '--json', '--no-backup'], { STRATA_TEST_NOW: OPEN });
      expect(open.code, open.stderr).toBe(0);
      expect(JSON.parse(open.stdout).steps.map((s: { id: string }) => s.id)).toEqual(['app@1.1.0', 'app@1.2.0']);
    });
  });
});
