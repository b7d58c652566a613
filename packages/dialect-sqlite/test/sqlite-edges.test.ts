// Issue 10 on real SQLite files: secrets in stored events, table rebuilds, session state between
// migrations, scripts that end strata's transaction.
import Database from 'better-sqlite3';
import { createMigrator, defineModule, isStrataError, type MigrationDefinition, type StrataError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { createSqliteDialect } from '../src/index.js';
import { useTempDatabase } from './sqlite-fixtures.js';

const tempDatabase = useTempDatabase();

type Step = MigrationDefinition & { version: string; name?: string };
const moduleOf = (steps: Step[]) =>
  defineModule({ name: 'app', migrations: steps.map((step) => ({ name: step.name ?? `m_${step.version.replace(/\./g, '_')}`, ...step })) });

async function failure(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected the run to fail');
}

function read<T = Record<string, unknown>>(filename: string, sql: string): T[] {
  const db = new Database(filename, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('events written by the migrator', () => {
  it('never store a secret quoted by a failing migration (message or details)', async () => {
    const filename = tempDatabase();
    const secret = 'Sqlite-Secret-9f2';
    const steps: Step[] = [
      { version: '1.0.0', up: 'CREATE TABLE a (id INTEGER);' },
      { version: '1.1.0', up: async () => { throw new Error(`cannot reach postgres://app:${secret}@db/x with password ${secret}`); } },
    ];
    const migrator = createMigrator({ dialect: createSqliteDialect({ filename }), sources: [moduleOf(steps)], secrets: [secret] });
    const error = await failure(migrator.up());
    expect(error.code).toBe('STRATA_MIGRATION_FAILED');
    const events = read<{ error_message: string | null; details: string | null }>(filename, 'SELECT error_message, details FROM strata_events');
    const failed = events.find((event) => event.error_message);
    expect(failed?.error_message).toContain('password ***');
    expect(JSON.stringify(events)).not.toContain(secret);
    const history = await migrator.history();
    expect(JSON.stringify(history)).not.toContain(secret);
  });
});
