import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { StrataError, isStrataError, redactSecrets, waitForLock } from '@strata/core';
import type { ConnectOptions, DialectSession, EventQuery, EventRecord, StateRow, StateWrite } from '@strata/core';
import { describeBlockers, findRelationLockHolders, relationsOf } from './postgres-blockers.js';
import {
  asDriverError,
  connectionFailedError,
  connectionLostError,
  describeLocation,
  isConnectionError,
  sanitizeCause,
  sqlError,
} from './postgres-errors.js';
import type { ScriptLocation } from './postgres-errors.js';
import { connectClient } from './postgres-connect.js';
import { findAdvisoryLockHolder, postgresAdvisoryLockKey } from './postgres-lock.js';
import {
  guardedTryLockSql,
  guardedUnlockSql,
  lockLostError,
  sessionCheckFailure,
  sessionCheckSql,
  setSessionTokenSql,
  unstableSessionError,
} from './postgres-session-check.js';
import type { SessionIdentity } from './postgres-session-check.js';
import { verifyLostCommit } from './postgres-lost-commit.js';
import { CONCURRENTLY, concurrentTarget, findInvalidIndexes, isInvalidIndex, watchBlockers } from './postgres-concurrent.js';
import type { ConcurrentTarget } from './postgres-concurrent.js';
import type { LockHolder } from '@strata/core';
import { characterPositionToIndex, createLineIndex, locatePostgresStatements } from './postgres-split.js';
import type { LocatedStatement } from './postgres-split.js';
import { findUnterminated } from './postgres-unterminated.js';
import {
  buildStateWritesSql,
  escapePostgresLiteral,
  qualifiedName,
  stateTablesExist,
  quoteIdentifier,
  readPostgresEvents,
  readPostgresState,
  schemaExists,
  stateSelectSql,
  stateTablesDdl,
  stateTablesFactsSql,
  readStateRows,
  unpackStateRows,
  writePostgresState,
} from './postgres-state-store.js';
import type { PostgresStateTables, RunQuery } from './postgres-state-store.js';

/** Everything a session needs from the dialect: resolved, validated settings. */
export interface PostgresSessionSettings {
  clientConfig: pg.ClientConfig;
  /** The redacted target, for messages. */
  target: string;
  /** Literal secrets to scrub from any driver text. */
  secrets: readonly string[];
  /** The configured schema; undefined means the connection's current schema. */
  schema: string | undefined;
  table: string;
  eventsTable: string;
  ddlLockTimeoutMs: number;
  /** `lock_timeout` of non-transactional index builds (CREATE INDEX CONCURRENTLY …), in ms. */
  concurrentLockTimeoutMs: number;
  /** Undefined: left as the server, role or database sets it; 0 sets it to 0 (no timeout) explicitly. */
  statementTimeoutMs: number | undefined;
  connectTimeoutMs: number;
}

/** Prefix of the one-round-trip text of {@link DialectSession.applyScript}; ASCII only. */
const BEGIN_PREFIX = 'BEGIN;\n';

/** What the set-up query learns about the session; the `*_exist` facts are as of connecting. */
interface SessionFacts {
  database: string;
  schema: string | null;
  pid: number;
  database_oid: number;
  /** Both state tables existed when the session was opened. */
  tables_exist: boolean;
  /** The state tables' schema existed when the session was opened. */
  schema_exists: boolean;
}

/**
 * Opens one dedicated `pg.Client` and prepares it in a single round trip: `lock_timeout`,
 * `client_connection_check_interval`, `statement_timeout` and `search_path` for migrate sessions,
 * and the facts the session needs (database, current schema, backend pid, whether the state
 * tables and their schema exist).
 */
/**
 * The settings of a migrate session, in order: set when it opens and again (after `RESET ALL`)
 * before every migration, so that what one migration changed (`SET search_path`, `SET ROLE`,
 * timeouts) never reaches the next one.
 */
export function migrateSessionSettingsSql(settings: PostgresSessionSettings, token: string): string[] {
  const out = [`SET lock_timeout = ${settings.ddlLockTimeoutMs}`];
  // PostgreSQL 14+: notice a vanished client (kill -9 of strata) within a second and roll back,
  // instead of running the migration to its COMMIT with nobody left to report it. A CASE, not a
  // DO block: DO would load PL/pgSQL into every fresh backend (~2 ms), and CASE never evaluates
  // set_config (volatile) for an older server, which would reject the unknown setting.
  out.push(
    "SELECT CASE WHEN current_setting('server_version_num')::int >= 140000 THEN set_config('client_connection_check_interval', '1000', false) END",
  );
  // Set whenever configured, 0 included: 0 clears a statement_timeout inherited from the role or
  // the database (ALTER ROLE/DATABASE … SET statement_timeout).
  if (settings.statementTimeoutMs !== undefined) out.push(`SET statement_timeout = ${settings.statementTimeoutMs}`);
  if (settings.schema) out.push(`SET search_path = ${quoteIdentifier(settings.schema)}`);
  out.push(setSessionTokenSql(token));
  return out;
}

export async function openPostgresSession(settings: PostgresSessionSettings, options: ConnectOptions): Promise<DialectSession> {
  const client = await connectClient(settings, settings.clientConfig, options.signal);
  const setup: string[] = [];
  const token = randomBytes(12).toString('hex');
  if (options.purpose === 'migrate') setup.push(...migrateSessionSettingsSql(settings, token));
  // Without a configured schema the state tables live in the current one ('public' when none).
  const schemaSql = settings.schema ? escapePostgresLiteral(settings.schema) : "coalesce(current_schema(), 'public')";
  setup.push(
    `SELECT current_database() AS database, current_schema() AS schema, pg_backend_pid() AS pid, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) AS database_oid, ${stateTablesFactsSql(schemaSql, settings.table, settings.eventsTable)}`,
  );
  let facts: SessionFacts;
  try {
    const results = (await client.query(setup.join('; '))) as unknown as pg.QueryResult | pg.QueryResult[];
    const last = Array.isArray(results) ? results[results.length - 1]! : results;
    facts = last.rows[0] as SessionFacts;
  } catch (error) {
    void client.end().catch(() => {});
    throw isConnectionError(error)
      ? connectionFailedError(error, { target: settings.target, secrets: settings.secrets })
      : new StrataError(
          'STRATA_CONFIG_INVALID',
          `Cannot prepare the session on ${settings.target}: ${redactSecrets(asDriverError(error).message ?? '', settings.secrets)}`,
          {
            hint: 'Check ddlLockTimeoutMs, statementTimeoutMs and schema',
            cause: sanitizeCause(error, settings.secrets),
          },
        );
  }
  return createSession(client, settings, options, facts, token);
}

function createSession(
  client: pg.Client,
  settings: PostgresSessionSettings,
  options: ConnectOptions,
  facts: SessionFacts,
  token: string,
): DialectSession {
  // Without a configured schema the state tables live in the connection's current schema, fixed
  // now and always qualified, so a migration's own `SET search_path` cannot move them.
  const schema = settings.schema ?? facts.schema ?? 'public';
  const tables: PostgresStateTables = { schema, migrations: settings.table, events: settings.eventsTable };
  const lockName = qualifiedName(schema, settings.table);
  const lockKey = postgresAdvisoryLockKey(facts.database, schema, settings.table);
  const backendPid = Number(facts.pid);
  const secrets = settings.secrets;
  const identity: SessionIdentity = { pid: backendPid, token, key: lockKey, databaseOid: Number(facts.database_oid) };
  /** `RESET ALL` and strata's own settings again: what a migration changed stays with it. */
  // RESET ALL leaves the role and the session user alone: those are reset first.
  const resetSql = ['SET SESSION AUTHORIZATION DEFAULT', 'RESET ROLE', 'RESET ALL', ...migrateSessionSettingsSql(settings, token)];
  /**
   * Set by startStep: the next round trip of this session starts with the ownership check and the
   * reset of the session's settings ({@link stepPrefixSql}), inside that round trip.
   */
  let stepPending = false;
  /** The session's lock_timeout now (a concurrent index build has its own), for messages. */
  let lockTimeoutNow = settings.ddlLockTimeoutMs;
  /** Who a concurrent index build was seen waiting for, while it waited. */
  let blockersSeen: LockHolder[] = [];
  /** State writes sent in the open transaction: what a lost COMMIT reply is checked against. */
  let transactionWrites: StateWrite[] = [];
  /**
   * The statements that open a step's first round trip: the ownership check, then the reset.
   * Inside a transaction the run opened (single-transaction runs, dry runs) the check is left to
   * the run's last round trip before COMMIT: it reads pg_locks, which by then lists every lock
   * the transaction took, and checking it before each of a thousand steps would cost O(n²).
   */
  const stepHead = (check = true): string[] => {
    stepPending = false;
    if (!lockHeld) return [];
    return check ? [sessionCheckSql(identity), ...resetSql] : resetSql;
  };

  let closed = false;
  let running = false;
  let cancelRequested = false;
  let trackedInTransaction = false;
  let lockHeld = false;
  /**
   * Both state tables are known to exist: seen by this session outside a transaction (by the lock's
   * round trip or ensureStateTables), or created and committed by it. ensureStateTables then has
   * nothing to check; strata never drops them. Tables created inside a transaction do not count:
   * a rollback takes them away again.
   */
  let tablesVerified = false;
  /** Seen missing by the lock's round trip (under the lock): ensureStateTables creates them without looking again. */
  let missingUnderLock: { schemaExists: boolean } | undefined;
  /**
   * The state as read under the lock in the round trip of acquireLock or ensureStateTables. Any
   * statement sent after it drops it (see `send`), so readState returns it only when nothing ran
   * on this session in between; no other runner can write while the lock is held.
   */
  let prefetchedState: StateRow[] | undefined;
  /** The connect-time fact, for readState: the state table is there, so read it without a catalogue check. */
  let stateTableSeen = facts.tables_exist === true;

  const transactionStatus = (): string | undefined => {
    const read = (client as unknown as { getTransactionStatus?: () => string | null }).getTransactionStatus;
    return typeof read === 'function' ? (read.call(client) ?? undefined) : undefined;
  };
  const inTransaction = (): boolean => {
    const status = transactionStatus();
    return status ? status !== 'I' : trackedInTransaction;
  };

  const ensureOpen = () => {
    if (closed) throw new StrataError('STRATA_SESSION_CLOSED', `The PostgreSQL session on ${settings.target} is closed`);
  };

  /** Sends one query; counts completed statements so a script error can name its statement. */
  const send = async (text: string, params?: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; command?: string }> => {
    const results = await sendAll(text, params);
    const last = results[results.length - 1];
    return { rows: (last?.rows ?? []) as Record<string, unknown>[], command: last?.command };
  };

  /** Sends one query (several statements when it has no parameters); the result of each statement. */
  const sendAll = async (text: string, params?: readonly unknown[]): Promise<pg.QueryResult[]> => {
    ensureOpen();
    running = true;
    cancelRequested = false;
    prefetchedState = undefined;
    try {
      const result = (await client.query(text, params as unknown[] | undefined)) as unknown as pg.QueryResult | pg.QueryResult[];
      return Array.isArray(result) ? result : [result];
    } finally {
      running = false;
    }
  };

  /** Runs a multi-statement script; rejects with the error and how many statements completed. */
  const sendScript = (text: string): Promise<Record<string, unknown> | undefined> => {
    ensureOpen();
    running = true;
    cancelRequested = false;
    prefetchedState = undefined;
    const query = new pg.Query(text);
    let completed = 0;
    const internals = query as unknown as { handleCommandComplete: (...args: unknown[]) => unknown };
    const original = internals.handleCommandComplete;
    internals.handleCommandComplete = function (this: unknown, ...args: unknown[]) {
      completed += 1;
      return original.apply(this, args);
    };
    // The last row any statement returned: applyScript's own RETURNING, when it asks for one.
    let lastRow: Record<string, unknown> | undefined;
    query.on('row', (row: Record<string, unknown>) => (lastRow = row));
    return new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
      query.on('end', () => resolve(lastRow));
      query.on('error', (error: Error) => reject(Object.assign(error, { strataCompleted: completed })));
      client.query(query);
    }).finally(() => {
      running = false;
    });
  };

  const run = async <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> => {
    try {
      return (await send(sql, params)).rows as Row[];
    } catch (error) {
      throw await mapError(error, { label: 'Query ' });
    }
  };

  /** Like `run`, but rejects with the driver's error (for callers that look at its SQLSTATE). */
  const runUnmapped: RunQuery = async <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) =>
    (await send(sql, params)).rows as Row[];

  const sideRun = async <T>(
    work: (runSide: <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>) => Promise<T>,
  ): Promise<T> => {
    const side = await connectClient(settings, {
      ...settings.clientConfig,
      application_name: `${settings.clientConfig.application_name ?? 'strata'} (side)`.slice(0, 63),
    });
    try {
      if (settings.schema) await side.query(`SET search_path = ${quoteIdentifier(settings.schema)}`);
      return await work(async (sql, params) => (await side.query(sql, params as unknown[] | undefined)).rows);
    } finally {
      await side.end().catch(() => {});
    }
  };

  /** The error of a failed ownership check ({@link sessionCheckSql}), or undefined for any other error. */
  const checkFailureError = (error: unknown): StrataError | undefined => {
    const failure = sessionCheckFailure(error);
    // The check runs first in its round trip: nothing after it ran.
    if (failure === 'lock-lost')
      return lockLostError(lockName, 'before the next migration: the run stopped there', { backendPid, stepRefused: true });
    if (failure === 'session-changed') {
      return unstableSessionError(settings.target, 'between two transactions the backend or its session token changed', {
        backendPid,
        stepRefused: true,
      });
    }
    return undefined;
  };

  /** Turns a driver error into the StrataError the contract asks for. */
  const mapError = async (
    error: unknown,
    context: { label?: string; location?: ScriptLocation; statement?: LocatedStatement },
  ): Promise<StrataError> => {
    if (isStrataError(error)) return error;
    const checked = checkFailureError(error);
    if (checked) return checked;
    const driver = asDriverError(error);
    if (isConnectionError(error)) return connectionLostError(error, settings.target, secrets);
    const location = context.location ?? {};
    if (driver.code === '57014' && cancelRequested) {
      return new StrataError('STRATA_INTERRUPTED', `${describeLocation(location)}was cancelled`, {
        hint: 'The run was interrupted; the transaction was rolled back',
        cause: sanitizeCause(error, secrets),
        details: { ...location, sqlState: '57014' },
      });
    }
    if (driver.code === '55P03') {
      const relations = context.statement?.tree ? relationsOf(context.statement.tree) : [];
      const found = blockersSeen.length
        ? { holders: blockersSeen, exact: true }
        : await sideRun((runSide) => findRelationLockHolders(runSide, backendPid, relations)).catch(() => ({
            holders: [] as LockHolder[],
            exact: false,
          }));
      const blockers = found.holders;
      return new StrataError(
        'STRATA_DDL_LOCK_TIMEOUT',
        `${describeLocation(location)}waited longer than lock_timeout (${lockTimeoutNow} ms) for a lock: ${redactSecrets(describeBlockers(found), secrets)} [55P03]`,
        {
          hint:
            blockers[0]?.pid !== undefined
              ? `A long transaction holds a lock on the table: retry when it ends, end it with SELECT pg_terminate_backend(${blockers[0].pid}), or raise ddlLockTimeoutMs`
              : 'A long transaction holds a lock on the table: retry when it ends or raise ddlLockTimeoutMs',
          cause: sanitizeCause(error, secrets),
          details: { ...location, sqlState: '55P03', blockers, lockTimeoutMs: lockTimeoutNow },
        },
      );
    }
    if (context.label !== undefined && context.location === undefined) {
      const mapped = sqlError(error, {}, secrets);
      return new StrataError(mapped.code, mapped.message.replace(/^Statement /, context.label), {
        ...(mapped.hint ? { hint: mapped.hint } : {}),
        cause: mapped.cause,
        details: mapped.details,
      });
    }
    return sqlError(error, location, secrets);
  };

  /**
   * Maps a failed script run back to the script: `error.position` (1-based characters into the
   * sent text) gives the line and the statement; without a position, the number of statements
   * the server completed before failing gives the statement. The script is split only here.
   */
  const unterminatedScriptError = (script: string): StrataError => {
    const open = findUnterminated(script);
    const what = open
      ? `a ${open.kind} opened at line ${open.line} of the script never closes`
      : 'the script does not end where it should (an unterminated quote, dollar quote or /* comment)';
    // No cause: the server's message quotes strata's statements, which the user never wrote.
    return new StrataError('STRATA_SQL_ERROR', `syntax error: ${what} [42601]`, {
      hint: 'Close the quote, dollar quote or comment; nothing was run',
      details: { ...(open ? { line: open.line } : {}), sqlState: '42601' },
    });
  };

  const locateScriptError = async (
    script: string,
    error: unknown,
    prefix: { characters: number; statements: number },
  ): Promise<{ location: ScriptLocation; statement?: LocatedStatement; inStateWrites: boolean }> => {
    let statements: LocatedStatement[] | undefined;
    try {
      statements = await locatePostgresStatements(script);
    } catch {
      statements = undefined;
    }
    const position = Number(asDriverError(error).position);
    if (Number.isInteger(position) && position > prefix.characters) {
      const scriptPosition = position - prefix.characters;
      const scriptCharacters = [...script].length;
      if (scriptPosition <= scriptCharacters + 1) {
        const index = characterPositionToIndex(script, scriptPosition);
        const line = createLineIndex(script)(index);
        const statement = statements?.filter((s) => s.spanStart <= index).pop();
        return {
          location: { ...(statement ? { statement: statement.index } : {}), line },
          ...(statement ? { statement } : {}),
          inStateWrites: false,
        };
      }
      return { location: {}, inStateWrites: true };
    }
    const completed = (error as { strataCompleted?: number }).strataCompleted;
    if (completed === undefined || !statements) return { location: {}, inStateWrites: false };
    const offset = completed - prefix.statements;
    if (offset < 0) return { location: {}, inStateWrites: false };
    const statement = statements[offset];
    if (!statement) return { location: {}, inStateWrites: true };
    return { location: { statement: statement.index, line: statement.line }, statement, inStateWrites: false };
  };

  const runScript = async (
    script: string,
    text: string,
    prefix: { characters: number; statements: number },
    /** Runs after a failure, before the error is mapped (a concurrent build's watcher hands over who it waited for). */
    beforeMapping?: () => Promise<unknown>,
  ): Promise<Record<string, unknown> | undefined> => {
    try {
      return await sendScript(text);
    } catch (error) {
      await beforeMapping?.();
      if (isConnectionError(error)) throw connectionLostError(error, settings.target, secrets);
      const checked = checkFailureError(error);
      if (checked) throw checked;
      const located = await locateScriptError(script, error, prefix);
      if (located.inStateWrites && asDriverError(error).code === '42601') {
        // The server parses the whole text first: a syntax error past the end of the migration's
        // script means its quote, dollar quote or comment never closed and swallowed strata's own
        // statements. Name the migration's last statement; never show strata's bookkeeping SQL.
        throw unterminatedScriptError(script);
      }
      if (located.inStateWrites) {
        const mapped = sqlError(error, {}, secrets);
        if (asDriverError(error).code === '23505') {
          // The apply's insert met a row another run committed: the lock did not keep it out.
          throw lockLostError(
            lockName,
            'or never protected it: another run recorded this migration while it ran (rolled back, nothing applied twice)',
            {
              sqlState: '23505',
            },
          );
        }
        throw new StrataError(
          'STRATA_SQL_ERROR',
          mapped.message.replace(/^Statement failed/, 'Recording the migration in the state table failed'),
          {
            hint: 'The migration was rolled back with its state row; check the state table (strata status)',
            cause: mapped.cause,
            details: mapped.details,
          },
        );
      }
      throw await mapError(error, { location: located.location, ...(located.statement ? { statement: located.statement } : {}) });
    }
  };

  /**
   * Runs one concurrent index statement outside a transaction under `concurrentLockTimeoutMs`,
   * after dropping the INVALID leftover of an earlier failed build of the same index. On failure
   * the error names the sessions it waited for and the INVALID indexes it left.
   */
  const runConcurrent = async (script: string, target: ConcurrentTarget): Promise<void> => {
    await run(`SET lock_timeout = ${settings.concurrentLockTimeoutMs}`);
    lockTimeoutNow = settings.concurrentLockTimeoutMs;
    try {
      if (target.kind === 'create-index' && target.index && (await isInvalidIndex(run, target.index))) {
        // A failed earlier build left it: building again under the same name would fail, or be
        // skipped by IF NOT EXISTS while the index stays unusable.
        await run(`DROP INDEX CONCURRENTLY IF EXISTS ${target.index}`);
      }
      const watcher = watchBlockers(async () => {
        const side = await connectClient(settings, {
          ...settings.clientConfig,
          application_name: `${settings.clientConfig.application_name ?? 'strata'} (watch)`.slice(0, 63),
        });
        return {
          run: async <Row>(sql: string, params?: readonly unknown[]) =>
            (await side.query(sql, params as unknown[] | undefined)).rows as Row[],
          close: () => side.end(),
        };
      }, backendPid);
      try {
        await runScript(script, script, { characters: 0, statements: 0 }, async () => (blockersSeen = await watcher.stop()));
      } catch (error) {
        await watcher.stop();
        const failure = error as StrataError;
        if (!isStrataError(failure) || failure.code === 'STRATA_CONNECTION_FAILED') throw error;
        const invalid = await findInvalidIndexes(runUnmapped, target).catch(() => [] as string[]);
        if (!invalid.length) throw failure;
        throw new StrataError(
          failure.code,
          `${failure.message}; it left INVALID index${invalid.length > 1 ? 'es' : ''} ${invalid.join(', ')} behind (the next run of this migration drops ${invalid.length > 1 ? 'them' : 'it'} before building again; or DROP INDEX CONCURRENTLY IF EXISTS ${invalid[0]})`,
          {
            ...(failure.hint ? { hint: failure.hint } : {}),
            cause: failure.cause ?? failure,
            details: { ...failure.details, invalidIndexes: invalid },
          },
        );
      }
      await watcher.stop();
    } finally {
      blockersSeen = [];
      lockTimeoutNow = settings.ddlLockTimeoutMs;
      if (!closed) await send(`SET lock_timeout = ${settings.ddlLockTimeoutMs}`).catch(() => {});
    }
  };

  /** The result of a guarded try ({@link guardedTryLockSql}): refuses a session that is not ours any more. */
  const lockTried = (row: Record<string, unknown> | undefined): boolean => {
    if (row?.locked === true) return true;
    if (row?.locked === false) return false;
    const pid = Number(row?.pid);
    throw unstableSessionError(
      settings.target,
      row?.stable === true
        ? `backend ${pid} already held the migration lock before this session asked for it: another client's session`
        : pid !== backendPid
          ? `backend pid ${backendPid} when connecting, ${pid} at the lock`
          : "the session's token was replaced by another client between two transactions",
      { backendPid, pidNow: pid },
    );
  };

  /**
   * The first try of acquireLock, in one round trip: the lock in a transaction of its own, then, in
   * a new transaction whose snapshot is taken with the lock held (whatever the isolation level),
   * what ensureStateTables and readState would ask next: whether the state tables exist and, when
   * they did at connect time, the state itself.
   */
  const lockAndLook = async (): Promise<boolean> => {
    const withState = stateTableSeen;
    const statements = [
      'BEGIN',
      guardedTryLockSql(identity),
      'COMMIT',
      `SELECT ${stateTablesFactsSql(escapePostgresLiteral(schema), settings.table, settings.eventsTable)}`,
    ];
    if (withState) statements.push(stateSelectSql(tables));
    let results: pg.QueryResult[];
    try {
      results = await sendAll(statements.join(';\n'));
    } catch (error) {
      if (isConnectionError(error)) throw await mapError(error, {});
      if (isStrataError(error)) throw error;
      // Only the reads can fail (a state table dropped or altered since connecting): give back the
      // lock in case this try took it, and leave it to the plain tries and to readState.
      if (inTransaction()) await send('ROLLBACK').catch(() => {});
      await send('SELECT pg_advisory_unlock($1::bigint)', [lockKey.toString()]).catch(() => {});
      return false;
    }
    if (!lockTried(results[1]?.rows[0])) return false;
    const found = results[3]?.rows[0] as { tables_exist?: boolean; schema_exists?: boolean } | undefined;
    if (found?.tables_exist === true) {
      tablesVerified = stateTableSeen = true;
      // Undefined when a row did not unpack: readState then reads the columns.
      if (withState) prefetchedState = unpackStateRows(results[4]!.rows);
    } else {
      missingUnderLock = { schemaExists: found?.schema_exists === true };
    }
    return true;
  };

  const session: DialectSession = {
    async query(sql, params) {
      // A JS migration's first statement in a single-transaction run: the step's check goes first,
      // in the same round trip unless the statement has parameters.
      const head = stepPending ? stepHead(!inTransaction()) : [];
      if (head.length && params !== undefined && params.length > 0) await run(head.join(';\n'));
      else if (head.length) {
        const results = await sendAll(`${head.join(';\n')};\n${sql}`).catch(async (error: unknown) => {
          throw await mapError(error, { label: 'Query ' });
        });
        return (results[results.length - 1]?.rows ?? []) as never[];
      }
      return run(sql, params);
    },

    async execute(script) {
      // A non-transactional index build: its own wait policy, its waits watched, its leftovers found.
      if (lockHeld && !stepPending && !inTransaction() && CONCURRENTLY.test(script)) {
        const statements = await locatePostgresStatements(script).catch(() => [] as LocatedStatement[]);
        const target = statements.length === 1 ? concurrentTarget(statements[0]!.tree) : undefined;
        if (target) return runConcurrent(script, target);
      }
      const head = stepPending ? stepHead(!inTransaction()) : [];
      const prefix = head.map((statement) => `${statement};\n`).join('');
      await runScript(script, `${prefix}${script}`, { characters: prefix.length, statements: head.length });
    },

    async begin() {
      transactionWrites = [];
      const head = stepPending ? stepHead() : [];
      await run(['BEGIN', ...head].join(';\n'));
      trackedInTransaction = true;
    },

    // No round trip: the status of the server's last ReadyForQuery.
    inTransaction: async () => inTransaction(),

    async commit() {
      let command: string | undefined;
      const writes = transactionWrites;
      transactionWrites = [];
      try {
        command = (await send('COMMIT')).command;
      } catch (error) {
        const mapped = await mapError(error, { label: 'COMMIT ' });
        // The reply of a COMMIT was lost: read back whether it committed, never assume.
        if (mapped.code === 'STRATA_CONNECTION_FAILED' && writes.length)
          throw await verifyLostCommit(mapped, { settings, tables, writes, backendPid });
        throw mapped;
      } finally {
        trackedInTransaction = false;
      }
      // COMMIT of a failed transaction "succeeds" with the tag ROLLBACK: never report that as done.
      if (command === 'ROLLBACK') {
        throw new StrataError('STRATA_SQL_ERROR', 'COMMIT rolled the transaction back because an earlier statement in it failed [25P02]', {
          hint: 'Look for the first error of this transaction; nothing of it was applied',
          details: { sqlState: '25P02' },
        });
      }
    },

    async rollback() {
      // The protocol's transaction status is only updated at ReadyForQuery, after the error of a
      // script that opened the transaction itself was delivered; trust our own flag as well.
      if (closed || !(inTransaction() || trackedInTransaction)) {
        trackedInTransaction = false;
        return;
      }
      try {
        await send('ROLLBACK');
      } catch (error) {
        // A lost connection rolled the transaction back on the server already.
        if (!isConnectionError(error)) throw await mapError(error, { label: 'ROLLBACK ' });
      } finally {
        trackedInTransaction = false;
      }
    },

    async acquireLock(acquire) {
      ensureOpen();
      if (lockHeld) return;
      if (inTransaction()) {
        throw new StrataError(
          'STRATA_DIALECT_CONTRACT',
          'acquireLock was called inside a transaction; the lock must be taken with none open',
        );
      }
      // The first try also reads what comes next (lockAndLook); core's loop does the waiting.
      let first = true;
      await waitForLock(
        {
          tryLock: async () => {
            if (!first) return lockTried((await run(guardedTryLockSql(identity)))[0]);
            first = false;
            return lockAndLook();
          },
          lockHolder: () => findAdvisoryLockHolder(run, lockKey),
          endHolderSql: (pid) => `SELECT pg_terminate_backend(${pid})`,
        },
        {
          target: settings.target,
          lockName,
          lockTimeoutMs: options.lockTimeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(acquire?.onWait ? { onWait: acquire.onWait } : {}),
        },
      );
      lockHeld = true;
    },

    async releaseLock() {
      ensureOpen();
      lockHeld = false;
      stepPending = false;
      missingUnderLock = undefined;
      const row = (await run(guardedUnlockSql(identity)))[0];
      if (row?.released === true) return;
      if (row?.released === false) {
        throw lockLostError(lockName, 'when releasing it: another run may have overlapped with this one', { lockKey: lockKey.toString() });
      }
      // Not our backend any more (a pooler): give back what this run may have left on that server
      // connection, then say why.
      await send('SELECT pg_advisory_unlock($1::bigint)', [lockKey.toString()]).catch(() => {});
      throw unstableSessionError(
        settings.target,
        `backend pid ${backendPid} when connecting, ${Number(row?.pid)} when releasing the lock`,
        {
          backendPid,
          pidNow: Number(row?.pid),
        },
      );
    },

    async lockHolder() {
      return findAdvisoryLockHolder(run, lockKey);
    },

    startStep() {
      if (lockHeld) stepPending = true;
    },

    async ensureStateTables() {
      if (tablesVerified) return;
      const known = missingUnderLock;
      missingUnderLock = undefined;
      const useSavepoint = inTransaction();
      // Without a look by the lock's round trip: one catalogue read, no DDL, no commit when they exist.
      if (!known && (await stateTablesExist(run, tables))) {
        // Inside a transaction they may be this transaction's own, gone again at a rollback.
        if (!useSavepoint) tablesVerified = stateTableSeen = true;
        return;
      }
      const ddl = stateTablesDdl(tables);
      for (let attempt = 1; ; attempt += 1) {
        try {
          // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
          const schemaThere = attempt === 1 && known ? known.schemaExists : await schemaExists(run, schema);
          const statements = [
            ...(useSavepoint ? ['SAVEPOINT strata_ensure_state'] : []),
            ...(schemaThere ? [] : [`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`]),
            ...ddl,
            ...(useSavepoint ? ['RELEASE SAVEPOINT strata_ensure_state'] : []),
          ];
          // One round trip (and, outside a transaction, one commit). With the lock held the state
          // is read in it too, so the readState that follows needs none.
          const readToo = lockHeld;
          if (readToo) statements.push(stateSelectSql(tables));
          const results = await sendAll(statements.join(';\n'));
          if (readToo) prefetchedState = unpackStateRows(results[results.length - 1]!.rows);
          if (!useSavepoint) tablesVerified = stateTableSeen = true;
          return;
        } catch (error) {
          // Concurrent CREATE … IF NOT EXISTS can still collide in the catalogs (pg_type,
          // pg_namespace unique indexes); the other creator won, so look again.
          const code = asDriverError(error).code;
          const race = code === '23505' || code === '42P07' || code === '42P06' || code === '42710';
          if (useSavepoint && !isConnectionError(error)) await send('ROLLBACK TO SAVEPOINT strata_ensure_state').catch(() => {});
          if (!race || attempt >= 10) throw await mapError(error, { label: 'Creating the state tables ' });
          await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
        }
      }
    },

    async readState(): Promise<StateRow[]> {
      if (prefetchedState) {
        const rows = prefetchedState;
        prefetchedState = undefined;
        return rows;
      }
      // The table was there: read it without a catalogue check first. Outside a transaction a
      // failed read has no side effect, so a table dropped since falls back to the checked read.
      if ((tablesVerified || stateTableSeen) && !inTransaction()) {
        try {
          return await readStateRows(runUnmapped, tables);
        } catch (error) {
          if (asDriverError(error).code !== '42P01') throw await mapError(error, { label: 'Query ' });
          tablesVerified = stateTableSeen = false;
        }
      }
      return readPostgresState(run, tables);
    },

    async readEvents(query: EventQuery): Promise<EventRecord[]> {
      return readPostgresEvents(run, tables, query);
    },

    async writeState(writes: readonly StateWrite[]) {
      if (inTransaction()) transactionWrites.push(...writes);
      if (stepPending) {
        // A non-transactional step's `running` row: the check and the reset in the same round trip.
        const statements = [...stepHead(!inTransaction()), ...buildStateWritesSql(tables, writes)];
        await run(statements.join(';\n'));
        return;
      }
      await writePostgresState(run, tables, writes);
    },

    async applyScript(script, writes, ownTransaction) {
      // One simple-protocol query: the server parses it whole before running any of it, runs it
      // statement by statement, and stops at the first error. See escapePostgresLiteral for why
      // literals (not parameters) are safe here.
      const writesSql = buildStateWritesSql(tables, writes);
      // The event's duration is measured by the server (see buildStateWritesSql): read it back in
      // the same round trip, so that the caller shows the number the history records.
      const last = writes.length - 1;
      const timed =
        last >= 0 && writes[last]!.kind === 'event' && (writes[last] as { event: { durationMs: number | null } }).event.durationMs === -1;
      if (timed) writesSql[last] = `${writesSql[last]} RETURNING duration_ms AS strata_recorded_ms`;
      // The ownership check always (the writes of a single-transaction run too), the reset at a step's start.
      const head = lockHeld
        ? stepPending && ownTransaction
          ? stepHead()
          : [sessionCheckSql(identity), ...(stepPending ? stepHead(false) : [])]
        : [];
      const prefix = `${ownTransaction ? BEGIN_PREFIX : ''}${head.map((statement) => `${statement};\n`).join('')}`;
      const suffix = `\n;\n${writesSql.map((sql) => `${sql};\n`).join('')}${ownTransaction ? 'COMMIT;' : ''}`;
      try {
        const row = await runScript(script, `${prefix}${script}${suffix}`, {
          characters: prefix.length,
          statements: (ownTransaction ? 1 : 0) + head.length,
        });
        if (ownTransaction) trackedInTransaction = false;
        const recorded = timed ? Number(row?.strata_recorded_ms) : Number.NaN;
        return Number.isFinite(recorded) ? recorded : undefined;
      } catch (error) {
        if (ownTransaction) {
          trackedInTransaction = true;
          await session.rollback().catch(() => {});
        }
        // The connection broke with the COMMIT sent: the server alone knows whether it committed.
        if (ownTransaction && isStrataError(error) && error.code === 'STRATA_CONNECTION_FAILED' && !closed) {
          throw await verifyLostCommit(error, { settings, tables, writes, backendPid });
        }
        throw error;
      }
    },

    async cancel() {
      if (closed || !running) return;
      cancelRequested = true;
      await sideRun((runSide) => runSide('SELECT pg_cancel_backend($1)', [backendPid])).catch(() => {});
    },

    async describe() {
      const rows = await run<Record<string, string | null>>(
        `SELECT current_setting('server_version') AS server_version,
                current_setting('lock_timeout') AS lock_timeout,
                current_setting('statement_timeout') AS statement_timeout,
                current_setting('search_path') AS search_path,
                current_setting('application_name') AS application_name,
                (SELECT string_agg(s, ', ') FROM pg_catalog.pg_db_role_setting r, unnest(r.setconfig) AS s
                  WHERE s LIKE 'statement_timeout=%'
                    AND r.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
                    AND r.setrole IN (0, (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user))) AS default_statement_timeout`,
      );
      const row = rows[0] ?? {};
      const facts: Record<string, string> = {
        server: `PostgreSQL ${row.server_version ?? '?'}`,
        target: settings.target,
        purpose: options.purpose,
        lockTimeout: row.lock_timeout ?? '?',
        statementTimeout: row.statement_timeout ?? '?',
        searchPath: row.search_path ?? '?',
        applicationName: row.application_name ?? '?',
        stateTable: qualifiedName(schema, settings.table),
        eventsTable: qualifiedName(schema, settings.eventsTable),
        backendPid: String(backendPid),
      };
      if (row.default_statement_timeout) facts.roleOrDatabaseStatementTimeout = row.default_statement_timeout;
      return facts;
    },

    async close() {
      if (closed) return;
      closed = true;
      lockHeld = false;
      // Ending the session rolls back an open transaction and releases the advisory lock.
      await client.end().catch(() => {});
    },
  };
  return session;
}
