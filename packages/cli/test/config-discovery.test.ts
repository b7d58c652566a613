import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/argv.js';
import { findConfigFile, findProjectRoot } from '../src/config.js';
import { anchorSqliteUrl, resolveSettings } from '../src/settings.js';

/** outer/ (a config, no package.json) > project/ (package.json) > src/deep/ */
function tree() {
  const outer = mkdtempSync(join(tmpdir(), 'strata-discovery-'));
  const project = join(outer, 'project');
  const deep = join(project, 'src', 'deep');
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(outer, 'strata.config.json'), '{}');
  writeFileSync(join(project, 'package.json'), '{}');
  return { outer, project, deep };
}

describe('findConfigFile', () => {
  it('finds the config in a parent folder, up to the project root', () => {
    const { project, deep } = tree();
    writeFileSync(join(project, 'strata.config.json'), '{}');
    expect(findProjectRoot(deep)).toBe(project);
    expect(findConfigFile(deep)).toBe(join(project, 'strata.config.json'));
  });

  it('never looks above the project root (nearest package.json or .git)', () => {
    const { deep, project } = tree();
    expect(findConfigFile(deep)).toBeUndefined();
    mkdirSync(join(project, 'sub', '.git'), { recursive: true });
    writeFileSync(join(project, 'strata.config.json'), '{}');
    expect(findConfigFile(join(project, 'sub'))).toBeUndefined();
  });

  it('outside any project, looks only in the working folder', () => {
    const lonely = mkdtempSync(join(tmpdir(), 'strata-discovery-lonely-'));
    mkdirSync(join(lonely, 'a'));
    writeFileSync(join(lonely, 'strata.config.json'), '{}');
    // (tmp has no package.json or .git above it on the machines that run this.)
    if (findProjectRoot(lonely) === undefined) expect(findConfigFile(join(lonely, 'a'))).toBeUndefined();
    expect(findConfigFile(lonely)).toBe(join(lonely, 'strata.config.json'));
  });
});

describe('resolveSettings with a config in another folder', () => {
  const settings = (argv: string[], env: Record<string, string>, config: object, cwd: string, configPath?: string) =>
    resolveSettings(parseCommandLine(['status', ...argv]).options, env, config, cwd, configPath);

  it("resolves the config's paths (and the defaults) against the config's folder, flags against the working folder", () => {
    const s = settings(
      [],
      {},
      { url: 'sqlite:./app.db', migrations: './db', backup: { dir: 'b' } },
      '/p/src/deep',
      '/p/strata.config.json',
    );
    expect(s.url).toBe('sqlite:/p/app.db');
    expect(s.folders[0]!.directory).toBe('/p/db');
    expect(s.backup.dir).toBe('/p/b');
    expect(s.projectDir).toBe('/p');
    const defaults = settings([], {}, {}, '/p/src', '/p/strata.config.json');
    expect(defaults.url).toBe('sqlite:/p/strata.db');
    expect(defaults.folders[0]!.directory).toBe('/p/migrations');
    expect(settings(['--url', 'sqlite:./x.db', '--migrations', 'm'], {}, {}, '/p/src', '/p/strata.config.json')).toMatchObject({
      url: 'sqlite:./x.db',
      folders: [{ directory: '/p/src/m' }],
    });
    expect(settings([], { DATABASE_URL: 'sqlite:./e.db' }, {}, '/p/src', '/p/strata.config.json').url).toBe('sqlite:./e.db');
  });

  it('anchors only relative SQLite file URLs', () => {
    expect(anchorSqliteUrl('sqlite:a.db', '/p')).toBe('sqlite:/p/a.db');
    expect(anchorSqliteUrl('sqlite:/abs/a.db', '/p')).toBe('sqlite:/abs/a.db');
    expect(anchorSqliteUrl('sqlite::memory:', '/p')).toBe('sqlite::memory:');
    expect(anchorSqliteUrl('sqlite:./we%3Fird.db', '/p')).toBe('sqlite:/p/we%3Fird.db');
    expect(anchorSqliteUrl('postgres://u@h/db', '/p')).toBe('postgres://u@h/db');
    expect(anchorSqliteUrl('mysql://x', '/p')).toBe('mysql://x');
  });
});
