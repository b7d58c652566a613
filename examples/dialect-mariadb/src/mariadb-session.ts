import type { Connection } from 'mysql2/promise';
import { StrataError, composeSession, isStrataError, redactSecrets } from '@strata/core';
import type { ConnectOptions, DialectConnection, DialectLock, DialectSession, StateFlavour } from '@strata/core';
import { isDelimiterCommand, splitMariaDbStatements } from './mariadb-split.js';
import {
  ER_LOCK_WAIT_TIMEOUT,
  ER_PARSE_ERROR,
  ER_QUERY_INTERRUPTED,
  asDriverError,
  describeHolder,
  isConnectionError,
  sanitizeCause,
  sqlError,
  toHolder,
  where,
} from './mariadb-errors.js';
import type { Location, MariaDbLockHolder } from './mariadb-errors.js';

export { describeHolder, isConnectionError, sanitizeCause } from './mariadb-errors.js';
export type { MariaDbLockHolder } from './mariadb-errors.js';

/** What a session needs from its dialect: validated settings and a way to open connections. */
export interface MariaDbSessionSettings {
  /** The redacted target, for messages. */
  target: string;
  /** Literal secrets to scrub from any driver text. */
  secrets: readonly string[];
  /** Opens one dedicated connection; throws `STRATA_CONNECTION_FAILED` (redacted). */
  openConnection(signal?: AbortSignal): Promise<Connection>;
  table: string;
  eventsTable: string;
  /** The GET_LOCK name; `undefined` derives one from the database and the state table. */
  lockName: string | undefined;
  /** `lock_wait_timeout` and `innodb_lock_wait_timeout` of migrate sessions (rounded up to seconds). */
  ddlLockTimeoutMs: number;
  /** MariaDB `max_statement_time` of migrate sessions; 0 leaves the server's. */
  statementTimeoutMs: number;
}

export const quote = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/**
 * How MariaDB spells the state tables; core builds them, their reads and writes from this. Binary
 * collation so ids compare exactly; DATETIME(3) holds UTC (the session time zone never enters).
 */
export function mariaDbFlavour(migrations: string, events: string): StateFlavour {
  return {
    tables: { migrations, events },
    quote,
    placeholder: () => '?',
    types: {
      key: 'VARCHAR(255)',
      ref: 'VARCHAR(512)',
      text: 'TEXT',
      timestamp: 'DATETIME(3)',
      integer: 'INT',
      json: 'JSON',
      id: 'BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY',
    },
    tableOptions: 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
    upsert: 'on-duplicate-key',
    tableExistsSql: 'SELECT COUNT(*) AS found FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    timestampParam: (iso) => new Date(iso).toISOString().replace('T', ' ').slice(0, 23),
    timestampSelect: (column) => `DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%fZ')`,
  };
}

/** The default GET_LOCK name: one per database and state table (GET_LOCK names are server-wide, 64 characters at most). */
export function defaultLockName(database: string, table: string): string {
  const name = `strata:${database}.${table}`;
  if (name.length <= 64) return name;
  let hash = 0x811c9dc5; // FNV-1a: stable across strata versions, no crypto needed
  for (const ch of name) hash = Math.imul(hash ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  return `${name.slice(0, 55)}~${hash.toString(16).padStart(8, '0')}`;
}

/**
 * Opens a MariaDB session: one dedicated mysql2 connection. Migrate sessions get
 * `lock_wait_timeout`/`innodb_lock_wait_timeout` (and `max_statement_time` when asked).
 */
export async function openMariaDbSession(settings: MariaDbSessionSettings, options: ConnectOptions): Promise<DialectSession> {
  const connection = await settings.openConnection(options.signal);
  // A server-side kill of an idle connection arrives as an 'error' event: never crash the process.
  connection.on('error', () => {});
  let facts: { db: string | null; id: number };
  try {
    if (options.purpose === 'migrate') {
      const seconds = Math.max(1, Math.ceil(settings.ddlLockTimeoutMs / 1000));
      await connection.query(`SET SESSION lock_wait_timeout = ${seconds}, SESSION innodb_lock_wait_timeout = ${seconds}`);
      if (settings.statementTimeoutMs > 0) await connection.query(`SET SESSION max_statement_time = ${settings.statementTimeoutMs / 1000}`);
    }
    const [rows] = await connection.query('SELECT DATABASE() AS db, CONNECTION_ID() AS id');
    facts = (rows as { db: string | null; id: number }[])[0]!;
  } catch (error) {
    connection.destroy();
    if (isConnectionError(error)) {
      throw new StrataError(
        'STRATA_CONNECTION_FAILED',
        `Lost the connection to MariaDB at ${settings.target} while preparing the session`,
        {
          hint: 'Check that the server is reachable and stays up',
          cause: sanitizeCause(error, settings.secrets),
        },
      );
    }
    throw new StrataError(
      'STRATA_CONFIG_INVALID',
      `Cannot prepare the session on ${settings.target}: ${redactSecrets(asDriverError(error).message ?? '', settings.secrets)}`,
      {
        hint: 'Check ddlLockTimeoutMs and statementTimeoutMs (max_statement_time needs MariaDB; leave it 0 on MySQL)',
        cause: sanitizeCause(error, settings.secrets),
      },
    );
  }
  if (!facts.db) {
    connection.destroy();
    throw new StrataError('STRATA_CONFIG_INVALID', `No database selected on ${settings.target}`, {
      hint: 'Name the database in the URI (mariadb://user@host:3306/app) or in connection.database',
    });
  }
  return createSession(connection, settings, options, facts.db, Number(facts.id));
}

function createSession(
  connection: Connection,
  settings: MariaDbSessionSettings,
  options: ConnectOptions,
  database: string,
  connectionId: number,
): DialectSession {
  const { secrets, target } = settings;
  const lockName = settings.lockName ?? defaultLockName(database, settings.table);

  let closed = false;
  let running = false; // a statement is on the wire
  let busy = false; // an execute() script is in progress
  let cancelRequested = false;
  let inTransaction = false;
  let lockHeld = false;

  const ensureOpen = () => {
    if (closed) throw new StrataError('STRATA_SESSION_CLOSED', `The MariaDB session on ${target} is closed`);
  };

  /** One statement: server-side prepared when it has parameters (no client escaping, whatever sql_mode says). */
  const send = async <Row>(sql: string, params?: readonly unknown[]): Promise<Row[]> => {
    ensureOpen();
    running = true;
    try {
      const [result] = params?.length
        ? await connection.execute(sql, params.map((value) => (value === undefined ? null : value)) as never)
        : await connection.query(sql);
      if (!Array.isArray(result)) return [];
      // With multipleStatements a text query may return several results: keep the last row set.
      // (A single statement's rows are objects, never arrays.)
      if (!result.some((part) => Array.isArray(part))) return result as Row[];
      return result.filter((part) => Array.isArray(part)).pop() as Row[];
    } finally {
      running = false;
    }
  };

  const connectionLost = (error: unknown): StrataError =>
    new StrataError(
      'STRATA_CONNECTION_FAILED',
      `Lost the connection to MariaDB at ${target}: ${redactSecrets(asDriverError(error).message ?? String(error), secrets)}`,
      {
        hint: 'The server ended the session (restart, KILL, network, wait_timeout); the open transaction was rolled back, run again',
        cause: sanitizeCause(error, secrets),
      },
    );

  const interrupted = (location: Location, cause?: unknown): StrataError =>
    new StrataError('STRATA_INTERRUPTED', `${where(location)}was cancelled`, {
      hint: 'The run was interrupted; statements before it that changed the schema stay (MariaDB DDL commits at once)',
      ...(cause ? { cause: sanitizeCause(cause, secrets) } : {}),
      details: { ...location, sqlState: '70100' },
    });

  /** Who may be holding the metadata or row lock a statement waited for: open InnoDB transactions. */
  const transactionsOtherThanOurs = async (): Promise<MariaDbLockHolder[]> => {
    const side = await settings.openConnection();
    try {
      const [rows] = await side.query(
        `SELECT t.trx_mysql_thread_id AS id, UNIX_TIMESTAMP(t.trx_started) AS since_epoch, p.USER AS user, p.HOST AS host, p.DB AS db, p.COMMAND AS command, p.TIME AS time, p.INFO AS info
           FROM information_schema.INNODB_TRX t LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
          WHERE t.trx_mysql_thread_id <> ${connectionId} ORDER BY t.trx_started LIMIT 5`,
      );
      return (rows as Record<string, unknown>[]).map(toHolder);
    } finally {
      side.destroy();
    }
  };

  /** Turns a driver error into the StrataError the contract asks for. */
  const mapError = async (error: unknown, location: Location, statementText?: string): Promise<StrataError> => {
    if (isStrataError(error)) return error;
    if (isConnectionError(error)) return connectionLost(error);
    const driver = asDriverError(error);
    if (driver.errno === ER_QUERY_INTERRUPTED && cancelRequested) return interrupted(location, error);
    if (driver.errno === ER_LOCK_WAIT_TIMEOUT) {
      const blockers = await transactionsOtherThanOurs().catch(() => []);
      const seconds = Math.max(1, Math.ceil(settings.ddlLockTimeoutMs / 1000));
      return new StrataError(
        'STRATA_DDL_LOCK_TIMEOUT',
        `${where(location)}waited longer than lock_wait_timeout (${seconds} s) for a table or row lock${blockers.length ? `: open transactions ${blockers.map(describeHolder).join('; ')}` : ''} [HY000/1205]`,
        {
          hint:
            blockers[0]?.pid !== undefined
              ? `A long transaction holds a lock on the table: retry when it ends, end it with KILL ${blockers[0].pid}, or raise ddlLockTimeoutMs`
              : 'A long transaction holds a lock on the table: retry when it ends or raise ddlLockTimeoutMs',
          cause: sanitizeCause(error, secrets),
          details: { ...location, sqlState: driver.sqlState ?? 'HY000', errno: 1205, blockers, lockTimeoutMs: seconds * 1000 },
        },
      );
    }
    let refined = location;
    let hint: string | undefined;
    if (driver.errno === ER_PARSE_ERROR && location.line !== undefined) {
      // "… near 'x' at line 2": the line within the statement we sent.
      const within = /at line (\d+)\s*$/.exec(driver.sqlMessage ?? '');
      if (within) refined = { ...location, line: location.line + Number(within[1]) - 1 };
      if (statementText && /^\s*CREATE\b[\s\S]*?\b(PROCEDURE|FUNCTION|TRIGGER|EVENT)\b[\s\S]*\bBEGIN\b/i.test(statementText)) {
        hint =
          'Compound statements (BEGIN … END) are split at their inner `;` by strata: create routines, triggers and events with query() in a TS/JS migration';
      }
    }
    return sqlError(error, refined, secrets, hint);
  };

  const run = async <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> => {
    cancelRequested = false;
    try {
      return await send<Row>(sql, params);
    } catch (error) {
      const mapped = await mapError(error, {});
      if (mapped.code !== 'STRATA_SQL_ERROR') throw mapped;
      throw new StrataError(mapped.code, mapped.message.replace(/^Statement /, 'Query '), {
        hint: mapped.hint,
        cause: mapped.cause,
        details: mapped.details,
      });
    }
  };

  const findLockHolder = async (): Promise<MariaDbLockHolder | undefined> => {
    const [owner] = await run<{ id: number | null }>('SELECT IS_USED_LOCK(?) AS id', [lockName]);
    if (owner?.id === null || owner?.id === undefined) return undefined;
    const id = Number(owner.id);
    // Needs the PROCESS privilege to see other users' connections; without it only the id is known.
    const [row] = await run<Record<string, unknown>>(
      'SELECT ID AS id, USER AS user, HOST AS host, DB AS db, COMMAND AS command, TIME AS time, INFO AS info FROM information_schema.PROCESSLIST WHERE ID = ?',
      [id],
    );
    const holder = row ? toHolder(row) : { pid: id };
    // The connect attribute program_name (our applicationName) is visible only with performance_schema=ON.
    const attrs = await run<{ name: string }>(
      "SELECT ATTR_VALUE AS name FROM performance_schema.session_connect_attrs WHERE PROCESSLIST_ID = ? AND ATTR_NAME = 'program_name'",
      [id],
    ).catch(() => []);
    if (attrs[0]?.name) holder.applicationName = String(attrs[0].name);
    return holder;
  };

  const session: DialectConnection = {
    query: run,

    async execute(script) {
      const statements = splitMariaDbStatements(script);
      const delimiter = statements.find((statement) => isDelimiterCommand(statement.text));
      if (delimiter) {
        throw new StrataError(
          'STRATA_SQL_ERROR',
          `Statement ${delimiter.index} (line ${delimiter.line}) failed: DELIMITER is a command of the mysql client, not SQL`,
          {
            hint: 'Remove DELIMITER lines; create routines, triggers and events with query() in a TS/JS migration (the server parses BEGIN … END itself)',
            details: { statement: delimiter.index, line: delimiter.line },
          },
        );
      }
      busy = true;
      cancelRequested = false;
      try {
        for (const statement of statements) {
          const location = { statement: statement.index, line: statement.line };
          if (cancelRequested) throw interrupted(location);
          try {
            await send(statement.text);
          } catch (error) {
            throw await mapError(error, location, statement.text);
          }
        }
      } finally {
        busy = false;
      }
    },

    async begin() {
      // autocommit=0 rather than START TRANSACTION: after a DDL statement's implicit commit the
      // session is still in a transaction, so the statements after it and the state writes stay
      // atomic together; START TRANSACTION would fall back to autocommit.
      await run('SET autocommit = 0');
      inTransaction = true;
    },

    async commit() {
      try {
        await run('COMMIT; SET autocommit = 1');
      } catch (error) {
        if (!closed) await send('ROLLBACK; SET autocommit = 1').catch(() => {});
        throw error;
      } finally {
        inTransaction = false;
      }
    },

    async rollback() {
      if (closed || !inTransaction) return;
      inTransaction = false;
      try {
        await send('ROLLBACK; SET autocommit = 1');
      } catch (error) {
        // A lost connection rolled the transaction back on the server already.
        if (!isConnectionError(error)) throw await mapError(error, {});
      }
    },

    async cancel() {
      if (closed || !(busy || running)) return;
      cancelRequested = true; // also stops execute() before its next statement
      if (!running) return;
      const side = await settings.openConnection().catch(() => undefined);
      if (!side) return;
      try {
        await side.query(`KILL QUERY ${connectionId}`);
      } catch {
        // The statement may have ended meanwhile; the flag still stops the script.
      } finally {
        side.destroy();
      }
    },

    async describe() {
      // One variable per query: MariaDB and MySQL each lack some (tx_isolation vs transaction_isolation, max_statement_time).
      const variable = async (name: string): Promise<string | undefined> => {
        const rows = await run<{ v: unknown }>(`SELECT @@${name} AS v`).catch(() => []);
        return rows[0]?.v === undefined || rows[0]?.v === null ? undefined : String(rows[0].v);
      };
      const seconds = (value: string | undefined) => (value === undefined ? 'n/a' : `${value} s`);
      return {
        server: `${(await variable('version_comment')) ?? 'MariaDB'} ${(await variable('version')) ?? '?'}`,
        target,
        purpose: options.purpose,
        database,
        connectionId: String(connectionId),
        lockName,
        lockWaitTimeout: seconds(await variable('lock_wait_timeout')),
        innodbLockWaitTimeout: seconds(await variable('innodb_lock_wait_timeout')),
        maxStatementTime: seconds(await variable('max_statement_time')),
        sqlMode: (await variable('sql_mode')) ?? '?',
        isolation: (await variable('tx_isolation')) ?? (await variable('transaction_isolation')) ?? '?',
        stateTable: `${database}.${settings.table}`,
        eventsTable: `${database}.${settings.eventsTable}`,
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      lockHeld = false;
      inTransaction = false;
      // Ending the connection rolls back an open transaction and releases GET_LOCK locks.
      const ended = connection.end().catch(() => connection.destroy());
      const timer = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
      await Promise.race([ended, timer]);
      connection.destroy();
    },
  };

  /** GET_LOCK with no wait: core's loop does the waiting. The lock is re-entrant, so never take it twice. */
  const lock: DialectLock = {
    lockName,
    async tryLock() {
      if (lockHeld) return true;
      const [row] = await run<{ locked: number | null }>('SELECT GET_LOCK(?, 0) AS locked', [lockName]);
      lockHeld = Number(row?.locked) === 1;
      return lockHeld;
    },
    async releaseLock() {
      ensureOpen();
      lockHeld = false;
      const [row] = await run<{ released: number | null }>('SELECT RELEASE_LOCK(?) AS released', [lockName]);
      if (Number(row?.released) !== 1) {
        throw new StrataError(
          'STRATA_LOCK_LOST',
          `Migration lock ${lockName} on ${target} was no longer held by this run when releasing it`,
          {
            hint: 'A migration may have called RELEASE_LOCK or RELEASE_ALL_LOCKS(), or the connection was replaced: check that no other run overlapped',
            details: { lockName, released: row?.released ?? null },
          },
        );
      }
    },
    lockHolder: findLockHolder,
    endHolderSql: (pid) => `KILL ${pid}`,
  };
  return composeSession({ connection: session, lock, state: mariaDbFlavour(settings.table, settings.eventsTable), target, options });
}
