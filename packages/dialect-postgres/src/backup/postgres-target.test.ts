import { describe, expect, it } from 'vitest';
import { parseToolMajorVersion, serverMajorVersion } from './postgres-backup-provider.js';
import {
  describeTarget,
  parsePostgresUrl,
  secretsOf,
  targetFromConfig,
  toConninfo,
  targetIdentity,
  toolEnvironment,
} from './postgres-target.js';

describe('parsePostgresUrl', () => {
  it('splits a URL and keeps the password apart', () => {
    const target = parsePostgresUrl('postgres://app:p%40ss@db.example.com:6432/prod?sslmode=require&application_name=x');
    expect(target).toEqual({
      user: 'app',
      password: 'p@ss',
      host: 'db.example.com',
      port: '6432',
      database: 'prod',
      params: { sslmode: 'require', application_name: 'x' },
    });
  });

  it('takes a raw @, / or # in the password (user-info runs to the last @)', () => {
    expect(parsePostgresUrl('postgresql://app:a@b/c#d@localhost/db')).toMatchObject({
      user: 'app',
      password: 'a@b/c#d',
      host: 'localhost',
      database: 'db',
    });
  });

  it('moves a password query parameter out of the params, and maps ssl=true', () => {
    const target = parsePostgresUrl('postgres://app@h/db?password=s3cret&ssl=true&unknown=1');
    expect(target.password).toBe('s3cret');
    expect(target.params).toEqual({ sslmode: 'require' });
  });

  it('reads IPv6 hosts and a socket directory in the query', () => {
    expect(parsePostgresUrl('postgres://u@[::1]:5433/db')).toMatchObject({ host: '::1', port: '5433' });
    expect(parsePostgresUrl('postgres:///db?host=/var/run/postgresql')).toMatchObject({ host: '/var/run/postgresql', database: 'db' });
  });

  it('refuses what is not a postgres URL', () => {
    expect(() => parsePostgresUrl('mysql://u@h/db')).toThrow();
  });
});

describe('toConninfo', () => {
  it('never contains the password and quotes values', () => {
    const target = parsePostgresUrl("postgres://o'neil:pw-123456@h:5432/my db?sslmode=verify-full");
    const conninfo = toConninfo(target);
    expect(conninfo).toBe("host='h' port='5432' user='o\\'neil' dbname='my db' sslmode='verify-full'");
    expect(conninfo).not.toContain('pw-123456');
    expect(toConninfo(target, 'other')).toContain("dbname='other'");
  });

  it('puts the password in PGPASSWORD for tools', () => {
    expect(toolEnvironment(targetFromConfig({ host: 'h', password: 'zz-top' })).PGPASSWORD).toBe('zz-top');
  });
});

describe('describeTarget', () => {
  it('shows user, host, port and database, never the password', () => {
    const target = parsePostgresUrl('postgres://app:hunter2@db:5432/prod');
    expect(describeTarget(target)).toBe('postgres://app@db:5432/prod');
    expect(secretsOf(target)).toContain('hunter2');
  });
});

describe('version parsing', () => {
  it('reads pg_dump --version and server_version_num', () => {
    expect(parseToolMajorVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)')).toBe(15);
    expect(parseToolMajorVersion('pg_dump (PostgreSQL) 12.0')).toBe(12);
    expect(parseToolMajorVersion('pg_dump (PostgreSQL) 9.6.24')).toBe(9.6);
    expect(parseToolMajorVersion('hello')).toBeUndefined();
    expect(serverMajorVersion(150004)).toBe(15);
    expect(serverMajorVersion(170000)).toBe(17);
    expect(serverMajorVersion(90624)).toBe(9.6);
  });
});

describe('targetIdentity', () => {
  it('is the same for every spelling of one database, without user or password', () => {
    const env = {};
    const a = targetIdentity(parsePostgresUrl('postgres://app:s3cret@DB.example.com:5432/prod'), [], env);
    const b = targetIdentity(parsePostgresUrl('postgresql://other@db.example.com/prod?sslmode=require'), [], env);
    expect(a).toBe('postgres://db.example.com:5432/prod');
    expect(b).toBe(a);
    expect(a).not.toContain('s3cret');
  });

  it('names the covered schemas, sorted, and fills in libpq defaults', () => {
    expect(targetIdentity(parsePostgresUrl('postgres://u@h/d'), ['b', 'a'], {})).toBe('postgres://h:5432/d?schemas=a,b');
    expect(targetIdentity(parsePostgresUrl('postgres://'), [], { PGHOST: 'pg', PGPORT: '6432', PGDATABASE: 'x' })).toBe(
      'postgres://pg:6432/x',
    );
    expect(targetIdentity(parsePostgresUrl('postgres://u@/d?host=/run/postgresql'), [], {})).toBe(
      'postgres://:5432/d?host=%2Frun%2Fpostgresql',
    );
  });
});
