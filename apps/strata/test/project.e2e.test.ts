// A new user's project from the outside: config discovery from a subfolder, read-only commands
// that never create a database, the embedded default said out loud, .env beside the config.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, project, strata } from './bin.js';

const sql = (up: string, down: string) => `-- strata:up\n${up}\n-- strata:down\n${down}\n`;
const MIGRATIONS = {
  'migrations/1.0.0_create_widgets.sql': sql('CREATE TABLE widgets (id integer primary key);', 'DROP TABLE widgets;'),
};

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata-migrate...\` first (the root test script does)`);
});

describe('config discovery', () => {
  it('finds the config from a subfolder and resolves its paths against its folder; --verbose names both', () => {
    const dir = project({ ...MIGRATIONS, 'package.json': '{}', 'strata.config.json': JSON.stringify({ url: 'sqlite:./app.db', migrations: './migrations' }) });
    const deep = join(dir, 'src', 'deep');
    mkdirSync(deep, { recursive: true });
    const up = strata(deep, ['up', '--no-backup', '--verbose']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/applied\s+app@1\.0\.0/);
    expect(up.stderr).toContain(`config: ${join(dir, 'strata.config.json')}`);
    expect(up.stderr).toContain(`target: sqlite:${join(dir, 'app.db')} (from the config file)`);
    expect(up.stderr).not.toContain('embedded default');
    expect(existsSync(join(dir, 'app.db'))).toBe(true);
    expect(existsSync(join(deep, 'app.db'))).toBe(false);
    expect(existsSync(join(deep, 'strata.db'))).toBe(false);
    const status = strata(deep, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ target: `sqlite:${join(dir, 'app.db')}`, migrations: [{ id: 'app@1.0.0', state: 'applied' }] });
  });

  it('says on stderr when up used the embedded default (no config, no URL)', () => {
    const dir = project(MIGRATIONS);
    const up = strata(dir, ['up', '--no-backup']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/^note: no strata\.config\.\* found .* and no --url or DATABASE_URL: used the embedded default sqlite:.*strata\.db$/m);
    const withUrl = strata(dir, ['up', '--url', 'sqlite:./other.db', '--no-backup']);
    expect(withUrl.stderr).not.toContain('embedded default');
  });
});

describe('read-only commands', () => {
  it('never create a database: a missing SQLite file is exit 5 naming the path', () => {
    const dir = project(MIGRATIONS);
    for (const command of [['status'], ['validate'], ['plan'], ['history']]) {
      const ran = strata(dir, [...command, '--url', 'sqlite:./typo.db']);
      expect(ran.code, `${command}: ${ran.stderr}`).toBe(5);
      expect(ran.stderr.split('\n')[0]).toBe(`error STRATA_DATABASE_MISSING: SQLite database ${join(dir, 'typo.db')} does not exist (from --url)`);
      expect(ran.stderr.split('\n')[1]).toMatch(/^hint: Check the path, or run `strata up` to create the database/);
      const json = strata(dir, [...command, '--url', 'sqlite:./typo.db', '--json']);
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'STRATA_DATABASE_MISSING' });
    }
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
    const list = strata(dir, ['backup', 'list', '--url', 'sqlite:./typo.db']);
    expect(list.code, list.stderr).toBe(0);
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
  });
});
