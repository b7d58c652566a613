import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteDialect } from '../src/index.js';
import { eventRecord, MIGRATE, stateRow, useTempDatabase } from './sqlite-fixtures.js';

const tempDatabase = useTempDatabase();

describe('SQLite state store', () => {
  it('reads [] from a database without state tables', async () => {
    const dialect = createSqliteDialect({ filename: tempDatabase() });
    const session = await dialect.connect({ purpose: 'read', lockTimeoutMs: 1000 });
    await expect(session.readState()).resolves.toEqual([]);
    await expect(session.readEvents({})).resolves.toEqual([]);
    await session.close();
  });

  it('creates both tables idempotently with the documented columns', async () => {
    const filename = tempDatabase();
    const session = await createSqliteDialect({ filename }).connect(MIGRATE);
    await session.ensureStateTables();
    await session.ensureStateTables();
    await session.close();
    const db = new Database(filename, { readonly: true });
    const columns = (table: string) => db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all();
    expect(columns('strata_migrations')).toEqual([
      'module',
      'version',
      'name',
      'checksum',
      'checksum_algo',
      'status',
      'applied_at',
      'execution_ms',
      'applied_by',
      'tool_version',
    ]);
    expect(columns('strata_events')).toEqual([
      'id',
      'at',
      'action',
      'migration_id',
      'outcome',
      'duration_ms',
      'actor',
      'host',
      'tool_version',
      'backup_id',
      'error_code',
      'error_message',
      'sql_state',
      'details',
    ]);
    db.close();
  });

  it('round-trips upserts, deletes and events, mapping snake_case columns to camelCase', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.ensureStateTables();
    await session.begin();
    await session.writeState([
      { kind: 'upsert', row: stateRow('1.0.0', { status: 'running', executionMs: 0 }) },
      { kind: 'upsert', row: stateRow('1.1.0') },
      { kind: 'upsert', row: stateRow('1.0.0', { status: 'applied', executionMs: 40, checksum: 'b'.repeat(64) }) },
      { kind: 'upsert', row: stateRow('2.0.0') },
      { kind: 'delete', module: 'app', version: '2.0.0' },
      { kind: 'event', event: eventRecord({ details: { runId: 'r1', nested: { list: [1, 'two'] } } }) },
      {
        kind: 'event',
        event: eventRecord({
          migrationId: 'core@1.0.0',
          outcome: 'failed',
          errorCode: 'STRATA_SQL_ERROR',
          errorMessage: 'boom',
          sqlState: '42P01',
          backupId: 'bk-1',
          durationMs: null,
        }),
      },
    ]);
    await session.commit();

    expect(await session.readState()).toEqual([stateRow('1.0.0', { executionMs: 40, checksum: 'b'.repeat(64) }), stateRow('1.1.0')]);
    const events = await session.readEvents({});
    expect(events.map((event) => event.id)).toEqual([2, 1]);
    expect(events[1]).toEqual({ ...eventRecord({ details: { runId: 'r1', nested: { list: [1, 'two'] } } }), id: 1 });
    expect(events[0]).toMatchObject({
      migrationId: 'core@1.0.0',
      outcome: 'failed',
      errorCode: 'STRATA_SQL_ERROR',
      errorMessage: 'boom',
      sqlState: '42P01',
      backupId: 'bk-1',
      durationMs: null,
      details: null,
    });
    await session.close();
  });

  it('filters events by migration id and by module, newest first, with a limit', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.ensureStateTables();
    const ids = ['app@1.0.0', 'core@1.0.0', 'app@1.1.0', 'core_x@1.0.0', 'app@1.0.0'];
    await session.writeState(ids.map((migrationId) => ({ kind: 'event' as const, event: eventRecord({ migrationId }) })));
    expect((await session.readEvents({ migrationId: 'app@1.0.0' })).map((event) => event.id)).toEqual([5, 1]);
    expect((await session.readEvents({ module: 'core' })).map((event) => event.migrationId)).toEqual(['core@1.0.0']);
    expect((await session.readEvents({ module: 'app', limit: 2 })).map((event) => event.id)).toEqual([5, 3]);
    expect(await session.readEvents({ limit: 1 })).toHaveLength(1);
    await session.close();
  });

  it('uses configured table names, quoted', async () => {
    const filename = tempDatabase();
    const session = await createSqliteDialect({ filename, table: 'Schema_History' }).connect(MIGRATE);
    await session.ensureStateTables();
    await session.writeState([{ kind: 'upsert', row: stateRow('1.0.0') }]);
    expect(await session.readState()).toHaveLength(1);
    await session.close();
    const db = new Database(filename, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'Schema%' ORDER BY name").pluck().all()).toEqual([
      'Schema_History',
      'Schema_History_events',
    ]);
    db.close();
  });

  it('rejects a status outside applied, running and failed', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.ensureStateTables();
    const write = session.writeState([{ kind: 'upsert', row: stateRow('1.0.0', { status: 'done' as never }) }]);
    await expect(write).rejects.toMatchObject({ code: 'STRATA_SQL_ERROR', details: { sqliteCode: 'SQLITE_CONSTRAINT_CHECK' } });
    await session.close();
  });

  it('writes several changes outside a transaction all together or not at all', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.ensureStateTables();
    const write = session.writeState([
      { kind: 'upsert', row: stateRow('1.0.0') },
      { kind: 'upsert', row: stateRow('1.1.0', { status: 'bogus' as never }) },
    ]);
    await expect(write).rejects.toMatchObject({ code: 'STRATA_SQL_ERROR' });
    expect(await session.readState()).toEqual([]);
    await session.close();
  });
});
