import { describe, expect, it } from 'vitest';
import { passwordsInUrl, redactPostgresUrl } from './postgres-url.js';

describe('redactPostgresUrl', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/prod', 'postgres://app:***@db:5432/prod'],
    ['postgresql://app@db/prod', 'postgresql://app@db/prod'],
    ['postgres://db/prod', 'postgres://db/prod'],
    ['postgres://app:p%40ss%23word@db/prod?sslmode=require', 'postgres://app:***@db/prod?sslmode=require'],
    ['postgres://app:raw@pa#ss@db:5432/prod', 'postgres://app:***@db:5432/prod'],
    ['postgres://app:ra#w/p?ss@db/prod', 'postgres://app:***@db/prod'],
    ['postgres://db/prod?user=app&password=s3cret', 'postgres://db/prod?user=app&password=***'],
  ])('redacts %s', (url, expected) => {
    expect(redactPostgresUrl(url)).toBe(expected);
  });

  it('lists the password raw and percent-decoded', () => {
    expect(passwordsInUrl('postgres://u:p%40ss@h/d')).toEqual(['p%40ss', 'p@ss']);
    expect(passwordsInUrl('postgres://u:a@b#c@h/d')).toEqual(['a@b#c']);
    expect(passwordsInUrl('postgres://h/d?password=x%2By')).toEqual(['x%2By', 'x+y']);
  });
});

describe('redactQueryText', () => {
  it("hides passwords in other sessions' query text", async () => {
    const { redactQueryText } = await import('./postgres-lock.js');
    expect(redactQueryText("ALTER ROLE app PASSWORD 'hunter''2'")).toBe("ALTER ROLE app PASSWORD '***'");
    expect(redactQueryText("SELECT dblink('postgres://u:pw@h/d', 'x')")).toBe("SELECT dblink('postgres://u:***@h/d', 'x')");
  });
});
