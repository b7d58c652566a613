import { describe, expect, it } from 'vitest';
import { DEFAULT_URL, parseTargetUrl, pickDirectUrl, pickUrl, redactUrl, urlPasswords } from '../src/target.js';

describe('parseTargetUrl', () => {
  const cwd = '/project';

  it('sends postgres:// and postgresql:// to the PostgreSQL dialect', () => {
    expect(parseTargetUrl('postgres://app@db:5432/prod', cwd)).toMatchObject({ kind: 'postgres', url: 'postgres://app@db:5432/prod' });
    expect(parseTargetUrl('postgresql://app@db/prod', cwd).kind).toBe('postgres');
  });

  it('resolves SQLite paths: relative to cwd, absolute, triple slash, in memory', () => {
    expect(parseTargetUrl('sqlite:./strata.db', cwd)).toMatchObject({ kind: 'sqlite', filename: '/project/strata.db', memory: false });
    expect(parseTargetUrl('sqlite:data/app.db', cwd)).toMatchObject({ filename: '/project/data/app.db' });
    expect(parseTargetUrl('sqlite:/abs/file.db', cwd)).toMatchObject({ filename: '/abs/file.db' });
    expect(parseTargetUrl('sqlite:///abs/file.db', cwd)).toMatchObject({ filename: '/abs/file.db' });
    expect(parseTargetUrl('sqlite::memory:', cwd)).toMatchObject({ filename: ':memory:', memory: true });
  });

  it('refuses an unknown scheme as a config error, without printing the password', () => {
    let error: Error | undefined;
    try {
      parseTargetUrl('mysql://u:Secret123@h/db', cwd);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toMatchObject({ code: 'STRATA_CONFIG_INVALID' });
    expect(error!.message).not.toContain('Secret123');
    expect(() => parseTargetUrl('./file.db', cwd)).toThrow(expect.objectContaining({ code: 'STRATA_CONFIG_INVALID' }));
  });

  it('collects the password raw and decoded for redaction', () => {
    expect(urlPasswords('postgres://u:p%40ss@h/db').sort()).toEqual(['p%40ss', 'p@ss']);
    expect(urlPasswords('postgres://u@h/db')).toEqual([]);
    // Raw reserved characters: the whole password, to the last @ (not a fragment of it).
    expect(urlPasswords('postgres://u:p@ss#w/rd?x@h:5432/db')).toEqual(['p@ss#w/rd?x']);
    expect(urlPasswords('postgres://u:50%off@h/db')).toEqual(['50%off']);
    expect(redactUrl('postgres://u:p%40ss@h/db')).toBe('postgres://u:***@h/db');
  });
});

describe('pickUrl', () => {
  it('prefers --url, then DATABASE_URL, then the config, then the default', () => {
    expect(pickUrl('sqlite:a.db', 'sqlite:b.db', 'sqlite:c.db')).toEqual({ url: 'sqlite:a.db', source: 'flag' });
    expect(pickUrl(undefined, 'sqlite:b.db', 'sqlite:c.db')).toEqual({ url: 'sqlite:b.db', source: 'env' });
    expect(pickUrl(undefined, undefined, 'sqlite:c.db')).toEqual({ url: 'sqlite:c.db', source: 'config' });
    expect(pickUrl(undefined, undefined, undefined)).toEqual({ url: DEFAULT_URL, source: 'default' });
  });
});

describe('pickDirectUrl', () => {
  const pooled = 'postgres://app@pooler:6432/db';
  const direct = 'postgres://app@db:5432/db';

  it('lets --direct-url win over everything', () => {
    expect(pickDirectUrl({ url: pooled, source: 'flag' }, direct, undefined)).toEqual({ url: direct, source: 'direct-url-flag' });
  });

  it('lets config directUrl win over DATABASE_URL and config url, not over an explicit --url', () => {
    expect(pickDirectUrl({ url: pooled, source: 'env' }, undefined, direct)).toEqual({ url: direct, source: 'direct-url-config' });
    expect(pickDirectUrl({ url: pooled, source: 'config' }, undefined, direct)).toEqual({ url: direct, source: 'direct-url-config' });
    expect(pickDirectUrl({ url: 'postgres://other/db', source: 'flag' }, undefined, direct)).toEqual({
      url: 'postgres://other/db',
      source: 'flag',
    });
    expect(pickDirectUrl({ url: pooled, source: 'env' }, undefined, undefined)).toEqual({ url: pooled, source: 'env' });
  });
});
