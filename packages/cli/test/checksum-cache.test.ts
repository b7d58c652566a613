/**
 * The file source's checksum cache under the conditions a review found wanting: a path that moves
 * to another file between the stat and the read (a deploy flipping a `current` symlink), an entry
 * that turns out wrong, and `baseline`, which records checksums without running anything.
 */
import * as realFs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The race window made deterministic: right after strata's stat of one path, run a swap.
let afterStat: { path: string; run: () => void } | undefined;
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    statSync: ((path: string, options?: unknown) => {
      const result = real.statSync(path, options as never);
      if (afterStat && path === afterStat.path) {
        const { run } = afterStat;
        afterStat = undefined;
        run();
      }
      return result;
    }) as typeof real.statSync,
  };
});

const { checksum, createFileSource, createMigrator } = await import('@strata/core');
const { createSqliteDialect } = await import('@strata/dialect-sqlite' as string);
const { cachedFileSource } = await import('../src/internal/checksum-cache.js');

const X = '-- strata:up\nCREATE TABLE t (id integer);\n-- strata:down\nDROP TABLE t;\n';
const Y = '-- strata:up\nCREATE TABLE t (id bigint);\n-- strata:down\nDROP TABLE t;\n';

const made: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

let releases: string;
let plain: string;
beforeAll(async () => {
  releases = temp('strata-cache-releases-');
  for (const [release, text] of [
    ['A', X],
    ['B', Y],
    ['C', X.replace('integer', 'text')],
  ] as const) {
    mkdirSync(join(releases, release));
    writeFileSync(join(releases, release, '1.0.0_t.sql'), text);
  }
  plain = temp('strata-cache-plain-');
  writeFileSync(join(plain, '1.0.0_t.sql'), X);
  // Files changed within two seconds of a run are never remembered: let them age once.
  await new Promise((resolve) => setTimeout(resolve, 2_200));
});

const point = (release: string) => {
  rmSync(join(releases, 'next'), { force: true });
  symlinkSync(release, join(releases, 'next'));
  renameSync(join(releases, 'next'), join(releases, 'current'));
};

const cacheFiles = (cache: string) => readdirSync(cache).filter((name) => name.endsWith('.json'));

describe('the checksum cache', () => {
  it('never pairs one file’s signature with another file’s checksum when the path moves between stat and read', async () => {
    point('A');
    const directory = join(releases, 'current');
    const cache = temp('strata-cache-');
    const load = async () => (await cachedFileSource({ directory }, cache).load()).migrations[0]!.resolve('sqlite');

    // An entry for the name that matches neither A nor B: the next load stats the path, misses, reads.
    point('C');
    await load();
    point('A');
    afterStat = { path: join(directory, '1.0.0_t.sql'), run: () => point('B') };
    expect((await load()).checksum).toBe(checksum(Y)); // read after the flip: B's text, B's signature
    point('A'); // roll back
    for (let i = 0; i < 2; i++) {
      const body = await load();
      expect(body.checksum).toBe(checksum(X));
      expect(body.up).toContain('id integer');
    }
  });

  it('clears itself when a remembered checksum turns out wrong, and the next run is right', async () => {
    const cache = temp('strata-cache-');
    const source = () => cachedFileSource({ directory: plain }, cache);
    await source().load();
    const [name] = cacheFiles(cache);
    const document = JSON.parse(readFileSync(join(cache, name!), 'utf8'));
    document.files['1.0.0_t.sql'][5] = 'e'.repeat(64);
    writeFileSync(join(cache, name!), JSON.stringify(document));

    const body = await (await source().load()).migrations[0]!.resolve('sqlite');
    expect(body.checksum).toBe('e'.repeat(64));
    expect(() => body.up).toThrow(/does not hold the text strata checked/);
    expect(cacheFiles(cache)).toEqual([]); // gone: nothing stale is trusted again
    const next = await (await source().load()).migrations[0]!.resolve('sqlite');
    expect(next.checksum).toBe(checksum(X));
    expect(next.up).toContain('id integer');
  });

  it('baseline records the checksum of what the file holds, not what a stale cache says', async () => {
    const cache = temp('strata-cache-');
    const filename = join(temp('strata-cache-db-'), 'db.sqlite');
    await cachedFileSource({ directory: plain }, cache).load();
    const [name] = cacheFiles(cache);
    const document = JSON.parse(readFileSync(join(cache, name!), 'utf8'));
    document.files['1.0.0_t.sql'][5] = 'd'.repeat(64);
    writeFileSync(join(cache, name!), JSON.stringify(document));

    const stale = createMigrator({ dialect: createSqliteDialect({ filename }), sources: [cachedFileSource({ directory: plain }, cache)] });
    await expect(stale.baseline('1.0.0')).rejects.toMatchObject({ code: 'STRATA_CHECKSUM_MISMATCH' });
    await stale.close();
    const again = createMigrator({ dialect: createSqliteDialect({ filename }), sources: [cachedFileSource({ directory: plain }, cache)] });
    expect((await again.baseline('1.0.0')).baselined).toEqual(['app@1.0.0']);
    expect((await again.status()).migrations).toMatchObject([{ id: 'app@1.0.0', state: 'applied' }]);
    await again.close();
    // Without any cache, the recorded checksum is the file's.
    const check = createMigrator({ dialect: createSqliteDialect({ filename }), sources: [createFileSource({ directory: plain })] });
    const report = await check.validate();
    expect(report.problems).toEqual([]);
    await check.close();
    expect(realFs.existsSync(filename)).toBe(true);
  });
});
