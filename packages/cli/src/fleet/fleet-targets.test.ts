import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { globFiles, listTenants, parseFleetSpec } from './fleet-targets.js';

const folder = () => mkdtempSync(join(tmpdir(), 'strata-fleet-targets-'));
const noControl = { controlUrl: 'sqlite:./control.db', openControl: () => Promise.reject(new Error('no control database in this test')) };

describe('parseFleetSpec', () => {
  it('tells the four kinds apart', () => {
    expect(parseFleetSpec('sqlite:tenants/*.db', '/p')).toEqual({ kind: 'sqlite-glob', pattern: 'tenants/*.db' });
    expect(parseFleetSpec('schemas:tenant_*', '/p')).toEqual({ kind: 'schemas', pattern: 'tenant_*' });
    expect(parseFleetSpec('query:SELECT url FROM tenants', '/p')).toEqual({ kind: 'query', sql: 'SELECT url FROM tenants' });
    expect(parseFleetSpec('tenants.txt', '/p')).toEqual({ kind: 'list', file: '/p/tenants.txt' });
  });

  it('refuses a schema pattern that could reach SQL, and a lone database URL', () => {
    expect(() => parseFleetSpec("schemas:x'; DROP TABLE y", '/p')).toThrow(expect.objectContaining({ code: 'STRATA_USAGE' }));
    expect(() => parseFleetSpec('postgres://u@h/db', '/p')).toThrow(expect.objectContaining({ code: 'STRATA_USAGE' }));
  });
});

describe('listTenants', () => {
  it('globs SQLite files sorted, without side files, named after the file', async () => {
    const dir = folder();
    mkdirSync(join(dir, 'tenants'));
    for (const name of ['b.db', 'a.db', 'a.db-wal', 'c.txt', '.hidden.db']) writeFileSync(join(dir, 'tenants', name), '');
    const tenants = await listTenants(parseFleetSpec('sqlite:tenants/*.db', dir), { cwd: dir, ...noControl });
    expect(tenants).toEqual([
      { name: 'a', url: `sqlite:${join(dir, 'tenants', 'a.db')}` },
      { name: 'b', url: `sqlite:${join(dir, 'tenants', 'b.db')}` },
    ]);
    expect(globFiles(join(dir, '*', '*.db'), dir)).toHaveLength(2);
  });

  it('reads a text list (URL or "name url" per line, comments) relative to the list', async () => {
    const dir = folder();
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'tenants.txt'), '# tenants\nsqlite:a.db\n\nacme postgres://app:s3cret@db/acme\r\n');
    const tenants = await listTenants(parseFleetSpec('conf/tenants.txt', dir), { cwd: dir, ...noControl });
    expect(tenants).toEqual([
      { name: 'a', url: `sqlite:${join(dir, 'conf', 'a.db')}` },
      { name: 'acme', url: 'postgres://app:s3cret@db/acme' },
    ]);
  });

  it('reads a JSON list of URLs or { name, url, schema }', async () => {
    const dir = folder();
    writeFileSync(
      join(dir, 'fleet.json'),
      JSON.stringify(['postgres://db/one', { name: 'two', url: 'postgres://db/app', schema: 'tenant_two' }]),
    );
    const tenants = await listTenants(parseFleetSpec('fleet.json', dir), { cwd: dir, ...noControl });
    expect(tenants).toEqual([
      { name: 'postgres://db/one', url: 'postgres://db/one' },
      { name: 'two', url: 'postgres://db/app', schema: 'tenant_two' },
    ]);
  });

  it('refuses duplicate names, bad schema names and a missing list, naming them', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'dup.txt'), 'x sqlite:a.db\nx sqlite:b.db\n');
    await expect(listTenants(parseFleetSpec('dup.txt', dir), { cwd: dir, ...noControl })).rejects.toMatchObject({
      code: 'STRATA_CONFIG_INVALID',
      message: expect.stringContaining('"x" appears twice'),
    });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ url: 'postgres://db/app', schema: 'a"b' }]));
    await expect(listTenants(parseFleetSpec('bad.json', dir), { cwd: dir, ...noControl })).rejects.toMatchObject({
      code: 'STRATA_CONFIG_INVALID',
    });
    await expect(listTenants(parseFleetSpec('missing.txt', dir), { cwd: dir, ...noControl })).rejects.toMatchObject({
      code: 'STRATA_CONFIG_INVALID',
      message: expect.stringContaining('missing.txt'),
    });
  });
});
