import { describe, expect, it } from 'vitest';
import { highestVersion } from '../src/commands/new.js';
import { slugify } from '../src/slugify.js';

describe('slugify', () => {
  it('lower-cases and joins words with underscores', () => {
    expect(slugify('Add Users!')).toBe('add_users');
    expect(slugify('  create--orders table ')).toBe('create_orders_table');
    expect(slugify('Crème brûlée')).toBe('creme_brulee');
  });

  it('transliterates letters of other scripts instead of dropping them', () => {
    expect(slugify('Größe ändern')).toBe('grosse_andern');
    expect(slugify('Ærø')).toBe('aero');
    expect(slugify('Добавить пользователей')).toBe('dobavit_polzovatelej');
    expect(slugify('Ελληνικά')).toBe('ellhnika'); // slugify's Greek map (η → h)
    expect(slugify('łódź café')).toBe('lodz_cafe');
    expect(slugify('e\u0301te\u0301')).toBe('ete'); // decomposed accents
    expect(slugify('add 用户 table')).toBe('add_table'); // no mapping: dropped
    expect(slugify('a→b')).toBe('a_b'); // a sign splits words
  });

  it('never keeps a path separator or ..', () => {
    for (const hostile of ['../../etc/passwd', '..\\..\\x', '/abs/path', 'a/../b', '..']) {
      const slug = (() => {
        try {
          return slugify(hostile);
        } catch {
          return '';
        }
      })();
      expect(slug).not.toMatch(/[/\\]|\.\./);
    }
    expect(slugify('../../etc/passwd')).toBe('etc_passwd');
  });

  it('caps the slug at 60 characters without a trailing underscore', () => {
    const slug = slugify(`${'a'.repeat(59)} b${'c'.repeat(40)}`);
    expect(slug.length).toBeLessThanOrEqual(60);
    expect(slug.endsWith('_')).toBe(false);
  });

  it('refuses a name with no letters or digits', () => {
    expect(() => slugify('!!! ///')).toThrow(expect.objectContaining({ code: 'STRATA_USAGE' }));
  });
});

describe('highestVersion', () => {
  it('orders by SemVer, ignores junk and near misses', () => {
    expect(highestVersion(['1.9.0_a.sql', '1.10.0_b.sql', 'v2.0.0_c.sql', 'notes.md', '3.0.0_x.txt', '1.10.0-rc.1_d.sql'])).toBe('1.10.0');
    expect(highestVersion([])).toBeUndefined();
  });
});
