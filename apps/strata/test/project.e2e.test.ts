// A new user's project from the outside: config discovery from a subfolder, read-only commands
// that never create a database, the embedded default said out loud, .env beside the config.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, project, strata } from './bin.js';

const sql = (up: string, down: string) => `-- strata:up\n${up}\n-- strata:down\n${down}\n`;
const MIGRATIONS = {
  'migrations/1.0.0_create_widgets.sql': sql('CREATE TABLE widgets (id integer primary key);', 'DROP TABLE widgets;'),
};

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata-migrate...\` first (the root test script does)`);
});

describe('config discovery', () => {
  it('finds the config from a subfolder and resolves its paths against its folder; --verbose names both', () => {
    const dir = project({
      ...MIGRATIONS,
      'package.json': '{}',
      'strata.config.json': JSON.stringify({ url: 'sqlite:./app.db', migrations: './migrations' }),
    });
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
    expect(JSON.parse(status.stdout)).toMatchObject({
      target: `sqlite:${join(dir, 'app.db')}`,
      migrations: [{ id: 'app@1.0.0', state: 'applied' }],
    });
  });

  it('says on stderr when up used the embedded default (no config, no URL)', () => {
    const dir = project(MIGRATIONS);
    const up = strata(dir, ['up', '--no-backup']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(
      /^note: no strata\.config\.\* found .* and no --url or DATABASE_URL: used the embedded default sqlite:.*strata\.db$/m,
    );
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
      expect(ran.stderr.split('\n')[0]).toBe(
        `error STRATA_DATABASE_MISSING: SQLite database ${join(dir, 'typo.db')} does not exist (from --url)`,
      );
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

describe('.env beside the config', () => {
  it('is read automatically (its relative SQLite URL belongs to the project); set variables and --env-file win', () => {
    const dir = project({
      ...MIGRATIONS,
      'package.json': '{}',
      'strata.config.json': '{}',
      '.env': 'DATABASE_URL=sqlite:./from-dotenv.db\n',
      'other.env': 'DATABASE_URL=sqlite:./from-env-file.db\n',
    });
    const sub = join(dir, 'scripts');
    mkdirSync(sub);
    const up = strata(sub, ['up', '--no-backup', '--verbose']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`env file: ${join(dir, '.env')}`);
    expect(up.stderr).toContain(`target: sqlite:${join(dir, 'from-dotenv.db')} (from DATABASE_URL)`);
    expect(existsSync(join(dir, 'from-dotenv.db'))).toBe(true);
    writeFileSync(join(dir, 'set.db'), '');
    writeFileSync(join(dir, 'from-env-file.db'), '');
    const target = (args: string[], env: Record<string, string> = {}) =>
      JSON.parse(strata(dir, ['status', '--json', ...args], env).stdout).target;
    expect(target([], { DATABASE_URL: 'sqlite:./set.db' })).toBe(`sqlite:${join(dir, 'set.db')}`);
    expect(target(['--env-file', 'other.env'])).toBe(`sqlite:${join(dir, 'from-env-file.db')}`);
  });
});

describe('status --fail-on-pending', () => {
  it('exits 3 (STRATA_PENDING_MIGRATIONS) while a migration is pending, 0 once none is', () => {
    const dir = project({ ...MIGRATIONS, 'strata.db': '' });
    const text = strata(dir, ['status', '--fail-on-pending']);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/app@1\.0\.0\s+pending/);
    expect(text.stderr).toMatch(/^error STRATA_PENDING_MIGRATIONS: 1 migration is pending: app@1\.0\.0\nhint: Run `strata up`/);
    const json = strata(dir, ['status', '--fail-on-pending', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).migrations).toMatchObject([{ id: 'app@1.0.0', state: 'pending' }]);
    expect(strata(dir, ['status']).code).toBe(0);
    expect(strata(dir, ['up', '--no-backup']).code).toBe(0);
    expect(strata(dir, ['status', '--fail-on-pending']).code).toBe(0);
  });
});

describe('the pre-run backup', () => {
  it('fails on an unusable backup folder with a hint naming backup.dir and --no-backup', () => {
    const dir = project({ ...MIGRATIONS, '.strata-backups': 'a file in the way\n' });
    expect(strata(dir, ['up', '--to', '1.0.0', '--no-backup', '--url', 'sqlite:./a.db']).code).toBe(0);
    writeFileSync(join(dir, 'migrations/1.1.0_more.sql'), sql('CREATE TABLE more (id integer);', 'DROP TABLE more;'));
    const ran = strata(dir, ['up', '--url', 'sqlite:./a.db']);
    expect(ran.code, ran.stderr).toBe(6);
    expect(ran.stderr).toMatch(/^error STRATA_BACKUP_FAILED: .*\.strata-backups/);
    expect(ran.stderr).toMatch(
      /hint: Set backup\.dir in strata\.config\.\* to a writable folder \(now .*\.strata-backups\), or pass --no-backup/,
    );
  });
});

describe('init and new', () => {
  it('init adds the database file and the backup folder to .gitignore, once', () => {
    const dir = project({ '.gitignore': 'node_modules' });
    const init = strata(dir, ['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout).gitignore).toEqual(['strata.db', '.strata-backups/']);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe(
      'node_modules\n\n# strata: the local database and its backups\nstrata.db\n.strata-backups/\n',
    );
    const fresh = project();
    expect(strata(fresh, ['init']).stdout).toContain('added strata.db, .strata-backups/ to .gitignore');
    expect(readFileSync(join(fresh, '.gitignore'), 'utf8')).toBe(
      '# strata: the local database and its backups\nstrata.db\n.strata-backups/\n',
    );
  });

  it('new transliterates names in other scripts', () => {
    const dir = project();
    expect(strata(dir, ['new', 'Größe ändern']).stdout.trim()).toBe(join('migrations', '0.1.0_grosse_andern.sql'));
    expect(strata(dir, ['new', 'Ærø']).stdout.trim()).toBe(join('migrations', '0.2.0_aero.sql'));
    expect(strata(dir, ['new', 'Добавить таблицу']).stdout.trim()).toBe(join('migrations', '0.3.0_dobavit_tablicu.sql'));
  });
});

describe("new's templates", () => {
  it('SQL: once the up is written, validate is clean (no empty down section left behind)', () => {
    const dir = project({ 'strata.config.json': JSON.stringify({ url: 'sqlite:./app.db' }) });
    const file = join(dir, strata(dir, ['new', 'create_things']).stdout.trim());
    const template = readFileSync(file, 'utf8');
    // The unedited template is still refused: its up section is empty.
    expect(strata(dir, ['validate', '--offline']).stdout).toContain('the up section is empty');
    writeFileSync(file, template.replace(/^-- Write the change here.*$/m, 'CREATE TABLE things (id integer);'));
    const validate = strata(dir, ['validate', '--offline']);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stdout).toContain('no problem found');
    expect(strata(dir, ['up', '--no-backup']).code).toBe(0);
    // No down line: down says what to add.
    const down = strata(dir, ['down', '--yes', '--no-backup']);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/STRATA_MISSING_DOWN: .*has no down section\nhint: Add a -- strata:down section/);
    // Following the template's own instruction makes it revertible.
    writeFileSync(file, `${readFileSync(file, 'utf8')}-- strata:down\nDROP TABLE things;\n`);
    expect(strata(dir, ['validate', '--offline']).code).toBe(0);
  });

  it('TS: a migration typed by strata-migrate, loaded with no @strata/core (nor strata-migrate) to import', () => {
    const dir = project({ 'strata.config.json': JSON.stringify({ url: 'sqlite:./app.db' }) });
    const file = join(dir, strata(dir, ['new', 'create_things', '--ts']).stdout.trim());
    const template = readFileSync(file, 'utf8');
    expect(template).toMatch(/^import type \{ MigrationDefinition \} from 'strata-migrate';$/m);
    expect(template).not.toContain('@strata/core');
    expect(template).toContain('} satisfies MigrationDefinition;');
    // The project has no node_modules at all: the type-only import is erased when the file loads.
    writeFileSync(
      file,
      template
        .replace('-- write the change here', 'CREATE TABLE things (id integer)')
        .replace('-- undo the change here', 'DROP TABLE things'),
    );
    const up = strata(dir, ['up', '--no-backup']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/applied\s+app@0\.1\.0/);
    expect(strata(dir, ['down', '--yes', '--no-backup']).code).toBe(0);
  });
});
