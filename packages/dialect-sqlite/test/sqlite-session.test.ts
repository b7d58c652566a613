import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteDialect } from '../src/index.js';
import { eventRecord, MIGRATE, stateRow, useTempDatabase } from './sqlite-fixtures.js';

const tempDatabase = useTempDatabase();

describe('createSqliteDialect', () => {
  it('describes itself', () => {
    const dialect = createSqliteDialect({ filename: './app.db' });
    expect(dialect.name).toBe('sqlite');
    expect(dialect.target).toBe('sqlite:./app.db');
    expect(dialect.capabilities).toEqual({
      supportsTransactionalDdl: true,
      supportsSessionLock: false,
      supportsSchemas: false,
      supportsCancel: false,
      connectsEarly: false,
    });
  });

  it.each(['x"; DROP TABLE t; --', '1abc', 'has space', 'a'.repeat(64), ''])('refuses the table name %j', (table) => {
    expect(() => createSqliteDialect({ filename: ':memory:', table })).toThrow(expect.objectContaining({ code: 'STRATA_CONFIG_INVALID' }));
  });

  it('refuses an invalid events table name, busy timeout or journal mode', () => {
    const invalid = expect.objectContaining({ code: 'STRATA_CONFIG_INVALID' });
    expect(() => createSqliteDialect({ filename: ':memory:', eventsTable: 'bad-name' })).toThrow(invalid);
    expect(() => createSqliteDialect({ filename: ':memory:', busyTimeoutMs: -1 })).toThrow(invalid);
    expect(() => createSqliteDialect({ filename: ':memory:', journalMode: 'off' as never })).toThrow(invalid);
  });

  it('fails to connect with STRATA_CONNECTION_FAILED naming the file when its directory is missing', async () => {
    const filename = join(dirname(tempDatabase()), 'missing', 'app.db');
    const connect = createSqliteDialect({ filename }).connect(MIGRATE);
    await expect(connect).rejects.toMatchObject({ code: 'STRATA_CONNECTION_FAILED', message: expect.stringContaining(filename) });
  });

  it('fails to connect with STRATA_CONNECTION_FAILED when the file is not a database', async () => {
    const filename = tempDatabase();
    writeFileSync(filename, 'this is a text file, not a database '.repeat(50));
    const connect = createSqliteDialect({ filename }).connect(MIGRATE);
    await expect(connect).rejects.toMatchObject({
      code: 'STRATA_CONNECTION_FAILED',
      hint: expect.stringMatching(/not a SQLite database/),
      details: { sqliteCode: 'SQLITE_NOTADB' },
    });
  });

  it('switches to WAL only when asked', async () => {
    const filename = tempDatabase();
    const plain = await createSqliteDialect({ filename }).connect(MIGRATE);
    expect((await plain.describe!()).journalMode).toBe('delete');
    await plain.close();
    const wal = await createSqliteDialect({ filename, journalMode: 'wal' }).connect(MIGRATE);
    expect(await wal.describe!()).toMatchObject({ journalMode: 'wal', filename, busyTimeoutMs: '5000' });
    await wal.close();
  });
});

describe('SQLite session', () => {
  it('executes a script statement by statement inside the open transaction', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.begin();
    await session.execute("CREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('a;b');\n-- done");
    await session.rollback();
    await expect(session.query("SELECT name FROM sqlite_schema WHERE name = 't'")).resolves.toEqual([]);
    await session.execute("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept');");
    await expect(session.query('SELECT x FROM t')).resolves.toEqual([{ x: 'kept' }]);
    await session.close();
  });

  it('names the failing statement and its line, keeping the SQLite code and cause', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    const script = `-- header
CREATE TABLE a (x);
INSERT INTO a VALUES (1);

/* the bad one */
INSERT INTO missing_table
  VALUES (2);
INSERT INTO a VALUES (3);`;
    const failure = await session.execute(script).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'STRATA_SQL_ERROR',
      message: 'Statement 3 (line 6) failed: no such table: missing_table',
      details: { statement: 3, line: 6, sqlState: undefined, sqliteCode: 'SQLITE_ERROR' },
    });
    expect((failure as Error).cause).toBeInstanceOf(Error);
    // statements before the failure ran (no transaction was open); the one after did not
    await expect(session.query('SELECT x FROM a')).resolves.toEqual([{ x: 1 }]);
    await session.close();
  });

  it('reports a constraint violation with its extended code', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    const failure = session.execute('CREATE TABLE u (id INTEGER PRIMARY KEY); INSERT INTO u VALUES (1); INSERT INTO u VALUES (1);');
    await expect(failure).rejects.toMatchObject({ details: { statement: 3, line: 1, sqliteCode: 'SQLITE_CONSTRAINT_PRIMARYKEY' } });
    await session.close();
  });

  it('queries with bound parameters: rows for readers, [] for writers', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.execute('CREATE TABLE t (id INTEGER, name TEXT)');
    await expect(session.query('INSERT INTO t VALUES (?, ?)', [1, 'one'])).resolves.toEqual([]);
    await session.query('INSERT INTO t VALUES (?, ?)', [2, 'two']);
    await expect(session.query('SELECT name FROM t WHERE id > ? ORDER BY id', [0])).resolves.toEqual([{ name: 'one' }, { name: 'two' }]);
    await expect(session.query('SELECT * FROM nowhere')).rejects.toMatchObject({ code: 'STRATA_SQL_ERROR' });
    await session.close();
  });

  it('applyScript runs the script and the state writes in its own transaction', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.ensureStateTables();
    await session.applyScript!(
      'CREATE TABLE a (x);',
      [
        { kind: 'upsert', row: stateRow('1.0.0') },
        { kind: 'event', event: eventRecord() },
      ],
      true,
    );
    expect(await session.readState()).toEqual([stateRow('1.0.0')]);

    const failure = session.applyScript!(
      'CREATE TABLE b (x);\nINSERT INTO nowhere VALUES (1);',
      [{ kind: 'upsert', row: stateRow('1.1.0') }],
      true,
    );
    await expect(failure).rejects.toMatchObject({ code: 'STRATA_SQL_ERROR', details: { statement: 2, line: 2 } });
    // all rolled back: no table b, no state row
    await expect(session.query("SELECT name FROM sqlite_schema WHERE name = 'b'")).resolves.toEqual([]);
    expect(await session.readState()).toEqual([stateRow('1.0.0')]);
    await expect(session.readEvents({})).resolves.toHaveLength(1);
    await session.close();
  });

  it('applyScript runs inside the transaction core opened when not its own', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.ensureStateTables();
    await session.begin();
    await session.applyScript!('CREATE TABLE a (x);', [{ kind: 'upsert', row: stateRow('1.0.0') }], false);
    await session.rollback();
    expect(await session.readState()).toEqual([]);
    await session.close();
  });

  it('commits a transaction and rolls back on close', async () => {
    const filename = tempDatabase();
    const dialect = createSqliteDialect({ filename });
    const session = await dialect.connect(MIGRATE);
    await session.begin();
    await session.execute('CREATE TABLE kept (x)');
    await session.commit();
    await session.begin();
    await session.execute('CREATE TABLE lost (x)');
    await session.close();
    await session.close(); // idempotent
    const db = new Database(filename, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all()).toEqual(['kept']);
    db.close();
    await expect(session.execute('SELECT 1')).rejects.toMatchObject({ code: 'STRATA_SESSION_CLOSED' });
  });

  it('rollback without an open transaction is a no-op, commit without one is an error', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await expect(session.rollback()).resolves.toBeUndefined();
    await expect(session.commit()).rejects.toMatchObject({ code: 'STRATA_INTERNAL' });
    await session.close();
  });

  it('describes the connection for --verbose', async () => {
    const filename = tempDatabase();
    const session = await createSqliteDialect({ filename, busyTimeoutMs: 1234 }).connect(MIGRATE);
    expect(await session.describe!()).toMatchObject({
      filename,
      journalMode: 'delete',
      busyTimeoutMs: '1234',
      sqliteVersion: expect.stringMatching(/^3\.\d+\.\d+$/),
      // better-sqlite3 is built with SQLITE_DEFAULT_FOREIGN_KEYS=1; strata leaves the setting alone
      foreignKeys: 'on',
    });
    await session.close();
  });

  it('creates the file in an existing directory', async () => {
    const filename = join(dirname(tempDatabase()), 'nested', 'new.db');
    mkdirSync(dirname(filename));
    const session = await createSqliteDialect({ filename }).connect(MIGRATE);
    await session.ensureStateTables();
    await session.close();
    expect(new Database(filename).prepare('SELECT count(*) FROM strata_migrations').pluck().get()).toBe(0);
  });
});
