import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isStrataError } from '@strata/core';
import { normalizePostgresUrl, passwordsInUrl, redactPostgresUrl } from './postgres-url.js';

/** What pg itself will use: a client made from the URL strata gives it (nothing connects). */
const driverSees = (url: string) => {
  const client = new pg.Client({ connectionString: normalizePostgresUrl(url) }) as pg.Client & Record<string, unknown>;
  const applicationName = (client as unknown as { connectionParameters: { application_name: unknown } }).connectionParameters
    .application_name;
  return {
    host: client.host,
    port: String(client.port),
    database: client.database,
    user: client.user,
    password: client.password,
    applicationName,
  };
};

describe('normalizePostgresUrl: raw reserved characters in the password', () => {
  it.each([
    ['@', 'postgres://app:p@ss@db.example:6432/prod', 'p@ss'],
    ['#', 'postgres://app:pa#ss@db.example:6432/prod', 'pa#ss'],
    ['/', 'postgres://app:pa/ss@db.example:6432/prod', 'pa/ss'],
    ['?', 'postgres://app:pa?ss@db.example:6432/prod', 'pa?ss'],
    ['raw %', 'postgres://app:50%off@db.example:6432/prod', '50%off'],
    ['all of them', 'postgres://app:a@b#c/d?e%zz:f@db.example:6432/prod', 'a@b#c/d?e%zz:f'],
    ['percent-encoded (kept as meant)', 'postgres://app:p%40ss%23@db.example:6432/prod', 'p@ss#'],
  ])('%s: the driver connects to the printed host with the whole password', (_label, url, password) => {
    const config = driverSees(url);
    expect(config.host).toBe('db.example');
    expect(config.port).toBe('6432');
    expect(config.database).toBe('prod');
    expect(config.user).toBe('app');
    expect(config.password).toBe(password);
    expect(redactPostgresUrl(url)).toBe('postgres://app:***@db.example:6432/prod');
    // Every spelling of the password is known to redaction.
    expect(passwordsInUrl(url)).toContain(password);
  });

  it('never connects to a host made of the password’s tail', () => {
    // `new URL` ends the authority at `#`: pg used to connect to "evil.example".
    const url = 'postgres://app:secret@evil.example#tail@db.example:5432/prod';
    expect(driverSees(url).host).toBe('db.example');
    expect(redactPostgresUrl(url)).toBe('postgres://app:***@db.example:5432/prod');
  });

  it('keeps users with an @ (Azure style), query parameters and URLs without credentials', () => {
    expect(driverSees('postgres://app@server:pw@db.example/prod?application_name=probe')).toMatchObject({
      user: 'app@server',
      password: 'pw',
      host: 'db.example',
      applicationName: 'probe',
    });
    expect(normalizePostgresUrl('postgres://db.example/prod')).toBe('postgres://db.example/prod');
    expect(driverSees('postgres://app@db.example/prod')).toMatchObject({ user: 'app', host: 'db.example' });
  });

  it('refuses, without the password, what is not host[:port][/database] after the credentials', () => {
    let error: unknown;
    try {
      normalizePostgresUrl('postgres://app:s3cretPw@db.example:notaport/prod');
    } catch (caught) {
      error = caught;
    }
    expect(isStrataError(error) && error.code).toBe('STRATA_CONFIG_INVALID');
    expect(String((error as Error).message)).toContain('postgres://app:***@db.example:notaport/prod');
    expect(String((error as Error).message)).not.toContain('s3cretPw');
  });
});
