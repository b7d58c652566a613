import { describe, expect, it } from 'vitest';
import { restorePrelude, schemasInToc } from './postgres-restore.js';

describe('schemasInToc', () => {
  it('reads the SCHEMA entries of pg_restore --list', () => {
    const list = [
      ';',
      '; Archive created at …',
      '7; 2615 19315 SCHEMA - s2 postgres',
      '5; 2615 2200 SCHEMA - public pg_database_owner',
      '216; 1259 19316 TABLE public t postgres',
    ].join('\n');
    expect(schemasInToc(list)).toEqual(['s2', 'public']);
  });
});

describe('restorePrelude', () => {
  it('drops every covered schema, extensions and large objects, and recreates public as PostgreSQL 15 does', () => {
    const sql = restorePrelude({
      covered: ['public', 'later'],
      createdByDump: [],
      wholeDatabase: true,
      extensions: ['pgcrypto'],
      serverMajor: 15,
      lockTimeoutMs: 2000,
    });
    expect(sql.split('\n')).toEqual([
      'SET lock_timeout = 2000;',
      'DROP EXTENSION IF EXISTS "pgcrypto" CASCADE;',
      'SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata;',
      'DROP SCHEMA IF EXISTS "public" CASCADE;',
      'DROP SCHEMA IF EXISTS "later" CASCADE;',
      'CREATE SCHEMA public AUTHORIZATION pg_database_owner;',
      'GRANT USAGE ON SCHEMA public TO PUBLIC;',
      "COMMENT ON SCHEMA public IS 'standard public schema';",
      'SET lock_timeout = 0;',
      '',
    ]);
  });

  it('leaves schema creation to a dump of named schemas', () => {
    const sql = restorePrelude({
      covered: ['public'],
      createdByDump: ['public'],
      wholeDatabase: false,
      extensions: [],
      serverMajor: 15,
      lockTimeoutMs: 0,
    });
    expect(sql).toBe('SET lock_timeout = 0;\nDROP SCHEMA IF EXISTS "public" CASCADE;\nSET lock_timeout = 0;\n');
  });
});
