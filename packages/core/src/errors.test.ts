import { describe, expect, it } from 'vitest';
import { isStrataError, redactSecrets, STRATA_ERROR_CODES, StrataError, toStrataError } from './errors.js';

describe('STRATA_ERROR_CODES', () => {
  it('maps every code to itself', () => {
    for (const [key, value] of Object.entries(STRATA_ERROR_CODES)) expect(value).toBe(key);
    expect(Object.keys(STRATA_ERROR_CODES)).toContain('STRATA_INVALID_VERSION');
  });
});

describe('StrataError', () => {
  it('carries code, message, hint, cause and details', () => {
    const cause = new Error('driver said no');
    const error = new StrataError('STRATA_SQL_ERROR', 'Statement 3 of app@1.0.0 failed', {
      hint: 'Fix the SQL',
      cause,
      details: { migrationId: 'app@1.0.0', statement: 3, line: 12, sqlState: '42P01' },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StrataError');
    expect(error.code).toBe('STRATA_SQL_ERROR');
    expect(error.message).toBe('Statement 3 of app@1.0.0 failed');
    expect(error.hint).toBe('Fix the SQL');
    expect(error.cause).toBe(cause);
    expect(error.details.sqlState).toBe('42P01');
    expect(error.toJSON()).toEqual({
      code: 'STRATA_SQL_ERROR',
      message: 'Statement 3 of app@1.0.0 failed',
      hint: 'Fix the SQL',
      details: { migrationId: 'app@1.0.0', statement: 3, line: 12, sqlState: '42P01' },
    });
  });

  it('leaves hint out of JSON and details empty when not given', () => {
    const error = new StrataError('STRATA_INTERNAL', 'boom');
    expect(error.toJSON()).toEqual({ code: 'STRATA_INTERNAL', message: 'boom', details: {} });
    expect('cause' in error).toBe(false);
  });
});

describe('isStrataError', () => {
  it('recognises a StrataError', () => {
    expect(isStrataError(new StrataError('STRATA_USAGE', 'x'))).toBe(true);
  });

  it('recognises an error from another copy of core by its brand', () => {
    const fromCopy = Object.assign(new Error('from the other copy'), {
      code: 'STRATA_LOCK_TIMEOUT',
      [Symbol.for('strata.error')]: true,
    });
    expect(fromCopy).not.toBeInstanceOf(StrataError);
    expect(isStrataError(fromCopy)).toBe(true);
    expect(isStrataError({ [Symbol.for('strata.error')]: true })).toBe(true);
  });

  it('refuses look-alikes without the brand', () => {
    expect(isStrataError(Object.assign(new Error('x'), { code: 'STRATA_INTERNAL' }))).toBe(false);
    expect(isStrataError({ [Symbol('strata.error')]: true })).toBe(false);
    expect(isStrataError({ [Symbol.for('strata.error')]: 'yes' })).toBe(false);
    expect(isStrataError(null)).toBe(false);
    expect(isStrataError(undefined)).toBe(false);
    expect(isStrataError('STRATA_INTERNAL')).toBe(false);
  });
});

describe('toStrataError', () => {
  it('keeps a StrataError as it is', () => {
    const error = new StrataError('STRATA_LOCK_TIMEOUT', 'lock');
    expect(toStrataError(error)).toBe(error);
    expect(toStrataError(error, 'STRATA_SQL_ERROR').code).toBe('STRATA_LOCK_TIMEOUT');
  });

  it('wraps anything else with STRATA_INTERNAL and keeps it as cause', () => {
    const cause = new TypeError('undefined is not a function');
    const wrapped = toStrataError(cause);
    expect(isStrataError(wrapped)).toBe(true);
    expect(wrapped.code).toBe('STRATA_INTERNAL');
    expect(wrapped.message).toBe('undefined is not a function');
    expect(wrapped.cause).toBe(cause);
    expect(toStrataError('plain string', 'STRATA_CONNECTION_FAILED')).toMatchObject({
      code: 'STRATA_CONNECTION_FAILED',
      message: 'plain string',
      cause: 'plain string',
    });
    expect(toStrataError(42).message).toBe('42');
  });

  it('redacts passwords from the wrapped message', () => {
    const wrapped = toStrataError(new Error('connect ECONNREFUSED postgres://app:hunter22@db:5432/prod'), 'STRATA_CONNECTION_FAILED');
    expect(wrapped.message).toBe('connect ECONNREFUSED postgres://app:***@db:5432/prod');
    expect(wrapped.message).not.toContain('hunter22');
    expect(toStrataError('bad dsn host=h password=hunter22 dbname=d').message).toBe('bad dsn host=h password=*** dbname=d');
  });
});

describe('redactSecrets', () => {
  it.each([
    ['postgres://u:p@h/db', 'postgres://u:***@h/db'],
    ['postgresql://u:p%40x@h:5432/db?sslmode=require', 'postgresql://u:***@h:5432/db?sslmode=require'],
    ['postgres://u:p@ss@host/db', 'postgres://u:***@host/db'],
    ['postgres://u:p@ss@host', 'postgres://u:***@host'],
    ['postgres://app:s3cret@db.internal:5432', 'postgres://app:***@db.internal:5432'],
    ['POSTGRES://App:S3cret@Host/db', 'POSTGRES://App:***@Host/db'],
    ['failed: "postgres://u:secret@h/db" refused', 'failed: "postgres://u:***@h/db" refused'],
    ['mysql://root:toor@localhost/x and postgres://a:b1@c/d', 'mysql://root:***@localhost/x and postgres://a:***@c/d'],
    ['postgres://u:@h/db', 'postgres://u:***@h/db'],
  ])('removes the password from %s', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it('keeps URLs without a password as they are', () => {
    expect(redactSecrets('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(redactSecrets('postgres://h:5432/db')).toBe('postgres://h:5432/db');
    expect(redactSecrets('see https://example.com/docs?a=1')).toBe('see https://example.com/docs?a=1');
    expect(redactSecrets('mail me at user@example.com')).toBe('mail me at user@example.com');
  });

  it.each([
    ['host=h user=u password=secret dbname=db', 'host=h user=u password=*** dbname=db'],
    ["host=h password='se cret' dbname=db", 'host=h password=*** dbname=db'],
    ['postgres://h/db?user=u&password=secret&sslmode=require', 'postgres://h/db?user=u&password=***&sslmode=require'],
    ['Server=h;Pwd=secret;Database=d', 'Server=h;Pwd=***;Database=d'],
    ['PGPASSWORD=secret psql', 'PGPASSWORD=*** psql'],
    ['sslpassword = secret', 'sslpassword = ***'],
  ])('removes password=… from %s', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
    expect(redactSecrets(text)).not.toContain('secret');
  });

  it('removes each explicit secret wherever it occurs', () => {
    expect(redactSecrets('token abc123 and again abc123; key xyz789', ['abc123', 'xyz789'])).toBe('token *** and again ***; key ***');
  });

  it('ignores explicit secrets too short to be a password', () => {
    expect(redactSecrets('a b ab', ['', 'a', 'ab'])).toBe('a b ab');
  });
});

describe('redactSecrets with a raw "@" followed by "#", "?" or "/" in the password', () => {
  // Bug: URL_CREDENTIALS (errors.ts line 128) ends the password at the first "@" whose lookahead
  // reaches one of [\s/?#'"] before another "@", so "raw@pa#ss" is cut at "raw" and "pa#ss@" is
  // printed. @strata/dialect-postgres's redactPostgresUrl redacts these same URLs fully
  // (postgres-url.test.ts), so the two redactors disagree on what a password is.
  it('removes the whole password from postgres://app:raw@pa#ss@db:5432/prod', () => {
    const out = redactSecrets('postgres://app:raw@pa#ss@db:5432/prod');
    expect(out).toBe('postgres://app:***@db:5432/prod'); // actual: postgres://app:***@pa#ss@db:5432/prod
  });

  it('removes the whole password from postgres://u:p@ss/x@host/db', () => {
    expect(redactSecrets('postgres://u:p@ss/x@host/db')).toBe('postgres://u:***@host/db'); // actual: postgres://u:***@ss/x@host/db
  });
});
