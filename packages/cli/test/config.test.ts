import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/argv.js';
import { loadConfig, validateConfig } from '../src/config.js';
import { resolveSettings } from '../src/settings.js';

const project = () => mkdtempSync(join(tmpdir(), 'strata-cli-config-'));

describe('validateConfig', () => {
  it('accepts every documented key', () => {
    expect(
      validateConfig({
        url: 'sqlite:./a.db',
        fallbackUrl: 'sqlite:./b.db',
        dialect: '@acme/strata-mysql',
        migrations: { app: './migrations', billing: './billing' },
        modules: ['@strata/core-schema'],
        table: 'schema_versions',
        schema: 'app',
        lockTimeout: '30s',
        ddlLockTimeout: 5000,
        statementTimeout: '1m',
        backup: { dir: './b', enabled: true, keep: 5 },
      }),
    ).toBeTruthy();
  });

  it('names an unknown key', () => {
    expect(() => validateConfig({ tabel: 'x' }, 'strata.config.json')).toThrow(
      expect.objectContaining({ code: 'STRATA_CONFIG_INVALID', message: 'strata.config.json: key "tabel" is not a config key' }),
    );
    expect(() => validateConfig({ backup: { directory: 'x' } })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('backup.directory') }),
    );
  });

  it('refuses a malicious table or schema name before any SQL is built', () => {
    expect(() => validateConfig({ table: 'x"; DROP TABLE t; --' })).toThrow(expect.objectContaining({ code: 'STRATA_CONFIG_INVALID' }));
    expect(() => validateConfig({ schema: 'a b' })).toThrow(expect.objectContaining({ code: 'STRATA_CONFIG_INVALID' }));
  });
});

describe('loadConfig', () => {
  it('finds strata.config.json and reports no file as an empty config', async () => {
    const dir = project();
    expect(await loadConfig(dir)).toEqual({ config: {}, path: undefined });
    writeFileSync(join(dir, 'strata.config.json'), '{ "url": "sqlite:./x.db" }');
    expect((await loadConfig(dir)).config).toEqual({ url: 'sqlite:./x.db' });
  });

  it('loads an ESM config file', async () => {
    const dir = project();
    writeFileSync(join(dir, 'strata.config.mjs'), "export default { url: 'sqlite:./m.db', modules: ['x'] };");
    expect((await loadConfig(dir)).config).toEqual({ url: 'sqlite:./m.db', modules: ['x'] });
  });

  it('refuses a missing --config file and broken JSON as config errors', async () => {
    const dir = project();
    await expect(loadConfig(dir, 'nope.json')).rejects.toMatchObject({ code: 'STRATA_CONFIG_INVALID' });
    writeFileSync(join(dir, 'strata.config.json'), '{ nope');
    await expect(loadConfig(dir)).rejects.toMatchObject({
      code: 'STRATA_CONFIG_INVALID',
      message: expect.stringContaining('strata.config.json'),
    });
  });
});

describe('resolveSettings', () => {
  const settings = (argv: string[], env: Record<string, string>, config: object) =>
    resolveSettings(parseCommandLine(['status', ...argv]).options, env, config, '/p');

  it('prefers flags over the environment over the config file', () => {
    expect(settings(['--url', 'sqlite:flag.db'], { DATABASE_URL: 'sqlite:env.db' }, { url: 'sqlite:file.db' })).toMatchObject({
      url: 'sqlite:flag.db',
      urlSource: 'flag',
    });
    expect(settings([], { DATABASE_URL: 'sqlite:env.db' }, { url: 'sqlite:file.db' })).toMatchObject({
      url: 'sqlite:env.db',
      urlSource: 'env',
    });
    expect(settings([], {}, { url: 'sqlite:file.db' })).toMatchObject({ url: 'sqlite:/p/file.db', urlSource: 'config' });
    expect(settings([], {}, {})).toMatchObject({ url: 'sqlite:/p/strata.db', urlSource: 'default' });
    expect(settings(['--lock-timeout', '2s'], {}, { lockTimeout: '1m' }).lockTimeoutMs).toBe(2000);
    expect(settings([], {}, { lockTimeout: '1m' }).lockTimeoutMs).toBe(60_000);
  });

  it('uses ./migrations as module app unless a folder is given, which must then exist', () => {
    expect(settings([], {}, {}).folders).toEqual([{ module: 'app', directory: '/p/migrations', shown: './migrations', explicit: false }]);
    expect(settings(['--migrations', 'db'], {}, { migrations: 'other' }).folders).toEqual([
      { module: 'app', directory: '/p/db', shown: 'db', explicit: true },
    ]);
    expect(settings([], {}, { migrations: { app: 'a', billing: 'b' } }).folders.map((f) => f.module)).toEqual(['app', 'billing']);
  });

  it('merges --modules with the config modules and collects every password to redact', () => {
    const s = settings(
      ['--modules', 'x,y', '--url', 'postgres://u:FlagPw1@h/db'],
      { DATABASE_URL: 'postgres://u:EnvPw22@h/db', PGPASSWORD: 'PgPw333' },
      { modules: ['w'], url: 'postgres://u:FilePw4@h/db' },
    );
    expect(s.modules).toEqual(['w', 'x', 'y']);
    expect(s.secrets).toEqual(expect.arrayContaining(['FlagPw1', 'EnvPw22', 'PgPw333', 'FilePw4']));
  });

  it('refuses a bad duration as a usage error', () => {
    expect(() => settings(['--lock-timeout', 'soon'], {}, {})).toThrow(expect.objectContaining({ code: 'STRATA_USAGE' }));
  });
});
