import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksum, createFileSource, type FileSourceOptions, isStrataError } from '@strata/core';
import { cachedFileSource, defaultCacheDirectory, RACY_WINDOW_MS } from './checksum-cache.js';

/** A file source as the CLI makes it: with the cache in `cacheDirectory`, or plain for `false`. */
const fileSource = (options: FileSourceOptions, cacheDirectory: string | false) =>
  cacheDirectory === false ? createFileSource(options) : cachedFileSource(options, cacheDirectory);

const made: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const FILES: Record<string, string> = {
  '1.0.0_first.sql': '-- strata:up\nCREATE TABLE a (id integer);\n-- strata:down\nDROP TABLE a;\n',
  '1.1.0_second.sql': '-- strata:depends app@1.0.0\n-- strata:transaction off\nCREATE INDEX i ON a (id);\n',
  '1.2.0_third.sql': '-- strata:up\nCREATE TABLE c (id integer);\n',
  '1.2.0_third.postgres.sql': '-- strata:up\nCREATE TABLE c (id bigint);\n-- strata:down\nDROP TABLE c;\n',
};

/** What a load tells the engine about every migration and its body on `dialect`. */
async function snapshot(directory: string, cacheDirectory: string | false, dialect = 'sqlite') {
  const { migrations, problems } = await fileSource({ directory }, cacheDirectory).load();
  const out: Record<string, unknown> = {};
  for (const m of migrations) {
    const body = await m.resolve(dialect);
    out[m.id] = {
      dependsOn: m.dependsOn,
      transaction: m.transaction,
      hasDown: m.hasDown,
      checksum: body.checksum ?? checksum(body.checksumText),
      bodyHasDown: body.hasDown ?? body.down !== undefined,
      up: body.up,
      down: body.down,
      upLine: body.upLine,
      downLine: body.downLine,
    };
  }
  return { out, problems };
}

function cacheFile(cacheDirectory: string): string {
  const [name] = readdirSync(cacheDirectory).filter((f) => f.endsWith('.json'));
  return join(cacheDirectory, name!);
}

/** Folders of migration files, made up front: they must age past the racy window before a load remembers them. */
function agedFolder(names: readonly string[]): string {
  const dir = temp('strata-cache-src-');
  for (const name of names) writeFileSync(join(dir, name), FILES[name]!);
  return dir;
}

describe('the file source checksum cache', () => {
  let directory: string;
  let editDir: string;
  let replaceDir: string;
  let deleteDir: string;
  let vanishDir: string;
  beforeAll(async () => {
    directory = agedFolder(Object.keys(FILES));
    editDir = agedFolder(['1.0.0_first.sql']);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(editDir, '1.0.0_first.sql'), old, old);
    replaceDir = agedFolder(['1.0.0_first.sql']);
    deleteDir = agedFolder(['1.0.0_first.sql', '1.2.0_third.sql']);
    vanishDir = agedFolder(['1.0.0_first.sql']);
    // Files changed within the racy window are never remembered: let them all age past it once.
    await new Promise((resolve) => setTimeout(resolve, RACY_WINDOW_MS + 150));
  });

  it('gives the same migrations, checksums and bodies as reading the files, on the first and the cached load', async () => {
    const cacheDirectory = join(temp('strata-cache-'), 'nested', 'strata');
    const plain = await snapshot(directory, false);
    const first = await snapshot(directory, cacheDirectory);
    expect(existsSync(cacheDirectory)).toBe(true);
    const second = await snapshot(directory, cacheDirectory);
    expect(first).toEqual(plain);
    expect(second).toEqual(plain);
    expect(await snapshot(directory, cacheDirectory, 'postgres')).toEqual(await snapshot(directory, false, 'postgres'));
    expect(plain.problems).toEqual([]);
    // Private to the user: 0700 folder, 0600 file.
    expect(statSync(cacheDirectory).mode & 0o777).toBe(0o700);
    expect(statSync(cacheFile(cacheDirectory)).mode & 0o777).toBe(0o600);
    const document = JSON.parse(readFileSync(cacheFile(cacheDirectory), 'utf8'));
    expect(Object.keys(document.files).sort()).toEqual(Object.keys(FILES).sort());
  });

  it('does not read a file whose stat signature is unchanged, and checks its text when the body is needed', async () => {
    const cacheDirectory = temp('strata-cache-');
    await snapshot(directory, cacheDirectory);
    // Tamper with the remembered checksum only: a load that trusts the cache reports it.
    const file = cacheFile(cacheDirectory);
    const document = JSON.parse(readFileSync(file, 'utf8'));
    const fake = 'f'.repeat(64);
    document.files['1.0.0_first.sql'][5] = fake;
    writeFileSync(file, JSON.stringify(document));
    const { migrations } = await fileSource({ directory }, cacheDirectory).load();
    const body = await migrations.find((m) => m.id === 'app@1.0.0')!.resolve('sqlite');
    expect(body.checksum).toBe(fake);
    // The body is read when needed, and a text that does not match what was vouched for is refused.
    let error: unknown;
    try {
      void body.up;
    } catch (caught) {
      error = caught;
    }
    expect(isStrataError(error) && error.code).toBe('STRATA_CHECKSUM_MISMATCH');
    expect((error as Error).message).toContain('1.0.0_first.sql');
  });

  it('reads a file again after an edit of the same size, even with its modification time put back', async () => {
    const dir = editDir;
    const path = join(dir, '1.0.0_first.sql');
    const old = statSync(path).mtime;
    const cacheDirectory = temp('strata-cache-');
    const before = (await snapshot(dir, cacheDirectory)).out['app@1.0.0'] as { checksum: string };
    expect(Object.keys(JSON.parse(readFileSync(cacheFile(cacheDirectory), 'utf8')).files)).toEqual(['1.0.0_first.sql']);
    const edited = FILES['1.0.0_first.sql']!.replace('TABLE a', 'TABLE b');
    writeFileSync(path, edited);
    utimesSync(path, old, old); // mtime and size as before; the kernel still moves ctime
    const after = (await snapshot(dir, cacheDirectory)).out['app@1.0.0'] as { checksum: string; up: string };
    expect(after.checksum).toBe(checksum(edited));
    expect(after.checksum).not.toBe(before.checksum);
    expect(after.up).toContain('TABLE b');
  });

  it('reads a replaced file (a new inode) again', async () => {
    const dir = replaceDir;
    const cacheDirectory = temp('strata-cache-');
    await snapshot(dir, cacheDirectory);
    const replacement = FILES['1.0.0_first.sql']!.replace('id integer', 'id bigint ');
    writeFileSync(join(dir, 'next.tmp'), replacement);
    renameSync(join(dir, 'next.tmp'), join(dir, '1.0.0_first.sql'));
    const after = (await snapshot(dir, cacheDirectory)).out['app@1.0.0'] as { checksum: string };
    expect(after.checksum).toBe(checksum(replacement));
  });

  it('does not remember files changed within the racy window before the run', async () => {
    const dir = temp('strata-cache-src-');
    writeFileSync(join(dir, '1.0.0_fresh.sql'), 'CREATE TABLE fresh (id integer);\n');
    const cacheDirectory = temp('strata-cache-');
    const { out } = await snapshot(dir, cacheDirectory);
    expect((out['app@1.0.0'] as { checksum: string }).checksum).toBe(checksum('CREATE TABLE fresh (id integer);\n'));
    expect(readdirSync(cacheDirectory).filter((f) => f.endsWith('.json'))).toEqual([]);
  });

  it('drops deleted files, ignores a corrupt cache and survives a cache directory it cannot write', async () => {
    const dir = deleteDir;
    const cacheDirectory = temp('strata-cache-');
    await snapshot(dir, cacheDirectory);
    unlinkSync(join(dir, '1.2.0_third.sql'));
    await snapshot(dir, cacheDirectory);
    expect(Object.keys(JSON.parse(readFileSync(cacheFile(cacheDirectory), 'utf8')).files)).toEqual(['1.0.0_first.sql']);

    writeFileSync(cacheFile(cacheDirectory), '{"format": "strata-sql-files/1", "files": [1, 2');
    const plain = await snapshot(dir, false);
    expect(await snapshot(dir, cacheDirectory)).toEqual(plain);
    expect(JSON.parse(readFileSync(cacheFile(cacheDirectory), 'utf8')).files['1.0.0_first.sql']).toHaveLength(8);

    const blocked = join(temp('strata-cache-'), 'a-file');
    writeFileSync(blocked, 'not a folder');
    expect(await snapshot(dir, blocked)).toEqual(plain);
  });

  it('trusts only a cache file of this user that nobody else can write', async () => {
    const cacheDirectory = temp('strata-cache-');
    await snapshot(directory, cacheDirectory);
    const file = cacheFile(cacheDirectory);
    const document = JSON.parse(readFileSync(file, 'utf8'));
    document.files['1.0.0_first.sql'][5] = 'f'.repeat(64);
    writeFileSync(file, JSON.stringify(document));
    const rememberedChecksum = async () =>
      (await (await fileSource({ directory }, cacheDirectory).load()).migrations[0]!.resolve('sqlite')).checksum;
    expect(await rememberedChecksum()).toBe('f'.repeat(64)); // trusted: mode 0600, ours
    // Group- or world-writable: ignored (and rewritten from the files, so tamper again each time).
    writeFileSync(file, JSON.stringify(document));
    chmodSync(file, 0o666);
    expect(await rememberedChecksum()).toBe(checksum(FILES['1.0.0_first.sql']!));
    if (process.getuid?.() === 0) {
      // Another user's file (only root can make one here): ignored.
      writeFileSync(file, JSON.stringify(document));
      chmodSync(file, 0o600);
      chownSync(file, 12345, 12345);
      expect(await rememberedChecksum()).toBe(checksum(FILES['1.0.0_first.sql']!));
    }
  });

  it('refuses, with the file named, a body whose file vanished after the load', async () => {
    const dir = vanishDir;
    const cacheDirectory = temp('strata-cache-');
    await snapshot(dir, cacheDirectory);
    const { migrations } = await fileSource({ directory: dir }, cacheDirectory).load();
    unlinkSync(join(dir, '1.0.0_first.sql'));
    const body = await migrations[0]!.resolve('sqlite');
    expect(() => body.up).toThrow(/1\.0\.0_first\.sql: cannot be read \(ENOENT\)/);
  });
});

describe('defaultCacheDirectory', () => {
  it('follows STRATA_CACHE_DIR, then an absolute XDG_CACHE_HOME, then HOME, and is off with STRATA_NO_CACHE', () => {
    expect(defaultCacheDirectory({ STRATA_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(defaultCacheDirectory({ STRATA_CACHE_DIR: 'rel/c' })).toBe('rel/c'); // the CLI resolves it against its cwd
    expect(defaultCacheDirectory({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(join('/x', 'strata'));
    // The XDG spec: a relative XDG_CACHE_HOME is ignored.
    expect(defaultCacheDirectory({ XDG_CACHE_HOME: 'x', HOME: '/h' })).toBe(join('/h', '.cache', 'strata'));
    expect(defaultCacheDirectory({ HOME: '/h' })).toBe(join('/h', '.cache', 'strata'));
    expect(defaultCacheDirectory({})).toMatch(/[/\\]\.cache[/\\]strata$/); // the passwd entry's home
    expect(defaultCacheDirectory({ STRATA_NO_CACHE: '1', STRATA_CACHE_DIR: '/c' })).toBeUndefined();
    expect(defaultCacheDirectory({ STRATA_NO_CACHE: '0', STRATA_CACHE_DIR: '/c' })).toBe('/c');
  });
});
