import type { BackupProvider, BackupProviderOptions } from './backup-contract.js';
import type { AcquireLockOptions } from './lock-wait.js';
import type { EventQuery, EventRecord, StateRow, StateWrite } from './state.js';
import type { StateFlavour } from './state-store.js';

/**
 * What a dialect can do. Dialects declare only what differs from the defaults; core fills the
 * rest with {@link resolveCapabilities}, so adding a flag is never a breaking change.
 */
export interface DialectCapabilities {
  /**
   * DDL runs inside a transaction and rolls back with it (PostgreSQL, SQLite). Needed for
   * `--dry-run` and `--single-transaction`.
   * @default true
   */
  supportsTransactionalDdl: boolean;
  /**
   * The lock taken by {@link DialectSession.acquireLock} is held by the session for the whole run
   * (PostgreSQL's session advisory lock). When `false` the lock is the database's own write lock,
   * held only inside a transaction (SQLite's `BEGIN IMMEDIATE`): `acquireLock` opens a write
   * transaction, every `begin` waits for the write lock again, and core asks
   * {@link DialectSession.hasForeignWrites} after each `begin` to re-plan when another runner
   * changed the state in between.
   * @default false
   */
  supportsSessionLock: boolean;
  /**
   * State tables and migrations can live in a named schema.
   * @default false
   */
  supportsSchemas: boolean;
  /**
   * A running statement can be cancelled from outside with {@link DialectSession.cancel}.
   * @default false
   */
  supportsCancel: boolean;
  /**
   * Opening a session only talks to a server (no file is created) and costs round trips: the
   * engine starts connecting before it loads and checks the migration sources, so the handshake
   * overlaps that work, and closes the session unused when the sources have problems.
   * @default false
   */
  connectsEarly: boolean;
}

/** The defaults core assumes for a capability a dialect does not declare. */
export const DEFAULT_CAPABILITIES: DialectCapabilities = {
  supportsTransactionalDdl: true,
  supportsSessionLock: false,
  supportsSchemas: false,
  supportsCancel: false,
  connectsEarly: false,
};

/** A dialect's capabilities with the defaults filled in. */
export function resolveCapabilities(dialect: Pick<Dialect, 'capabilities'>): DialectCapabilities {
  return { ...DEFAULT_CAPABILITIES, ...dialect.capabilities };
}

/** Options for {@link Dialect.connect}. */
export interface ConnectOptions {
  /**
   * Why the session is opened. `migrate` sessions run migrations: the dialect applies its
   * migration timeouts (PostgreSQL `lock_timeout`, `statement_timeout`). `read` sessions only read
   * the state tables (status, validate, history) and never take the lock.
   */
  purpose: 'migrate' | 'read';
  /**
   * How long {@link DialectSession.acquireLock} (and, for dialects without a session lock,
   * every {@link DialectSession.begin}) may wait for the migration lock, in milliseconds.
   * @default 60000
   */
  lockTimeoutMs: number;
  /** Aborts a pending connect or lock wait. */
  signal?: AbortSignal;
}

/** One statement of a script, as a dialect splits it. */
export interface SqlStatement {
  /** 1-based position of the statement in the script. */
  index: number;
  /** 1-based line of the script where the statement starts (after leading comments and blanks). */
  line: number;
  /** The statement's text, without the terminating `;`. */
  text: string;
  /**
   * Why the statement cannot run inside a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …);
   * `undefined` when it can.
   */
  nonTransactional?: string;
}

/** A statement that would delete or blank rows of other tables through cascading foreign keys. */
export interface RebuildHazard {
  /** 1-based statement number and line in the script. */
  statement: number;
  line: number;
  /** What the statement does: `DROP TABLE parent`, `ALTER TABLE parent RENAME`. */
  action: string;
  /** The referencing columns and their actions: `child.parent_id ON DELETE CASCADE`. */
  references: string[];
}

/** Who holds the migration lock, as far as the dialect can tell. All fields are optional. */
export interface LockHolder {
  pid?: number;
  applicationName?: string;
  clientAddress?: string;
  host?: string;
  /** ISO 8601 time since which the holder has held it (or its session started). */
  since?: string;
  /** What the holder is running now. */
  query?: string;
  /** The holder's command line, when the holder is a strata run (secrets redacted). */
  command?: string;
}

/**
 * A database kind strata can migrate: a plain object from a factory such as
 * `createSqliteDialect(options)`. Core wraps every dialect with its own guarantees (idempotent
 * close, serialised calls, errors turned into StrataErrors), so a dialect stays small.
 *
 * Write one against `@strata/core/testing`'s conformance suite.
 * @example
 * const dialect = createSqliteDialect({ filename: './app.db' });
 * const migrator = createMigrator({ dialect, sources: [fileSource('./migrations')] });
 */
export interface Dialect {
  /** Short lower-case name (`postgres`, `sqlite`); selects dialect-specific migration bodies. */
  readonly name: string;
  /** What the dialect can do; missing flags take {@link DEFAULT_CAPABILITIES}. */
  readonly capabilities?: Partial<DialectCapabilities>;
  /** The target for people, with any password redacted (`postgres://app@db:5432/prod`). */
  readonly target: string;
  /**
   * Opens a dedicated session (one connection, never borrowed from an application pool). Throws
   * `STRATA_CONNECTION_FAILED` when the database cannot be reached; the message is redacted.
   */
  connect(options: ConnectOptions): Promise<DialectSession>;
  /**
   * Splits a script into statements in order. Used to run non-transactional migrations one
   * statement at a time and to find statements that cannot run in a transaction. Pure: touches
   * no database. May load a parser lazily.
   */
  splitStatements(script: string): Promise<SqlStatement[]> | SqlStatement[];
  /**
   * The statements of `script` that cannot run inside a transaction (each with
   * `nonTransactional` set). Should be fast for scripts that obviously hold none: core calls it
   * for every transactional SQL migration before a run starts.
   */
  findNonTransactional(script: string): Promise<SqlStatement[]> | SqlStatement[];
  /** Frees what the dialect owns (pools). Idempotent. Sessions are closed separately. */
  destroy?(): Promise<void>;
  /**
   * Removes the dialect's secrets (the password of its URL, `PGPASSWORD`, …) from a text. Core
   * passes everything it writes to the state and events tables through it, so a password quoted
   * by a migration's error message is never stored. A function, not a list: the secrets stay
   * out of a logged or serialised dialect object.
   */
  redact?(text: string): string;
  /**
   * Optional: how this dialect's database is backed up, verified and restored. Called only when a
   * backup or restore is about to happen, so a dialect can import its provider's code lazily.
   * Omitted when the dialect (or this database, such as SQLite's `:memory:`) cannot be backed up:
   * strata then takes no pre-run backup and says so, and `strata backup` fails with
   * `STRATA_BACKUP_FAILED`. Throws `STRATA_BACKUP_FAILED` or `STRATA_CONFIG_INVALID` when the
   * provider cannot be built.
   */
  backupProvider?(options?: BackupProviderOptions): Promise<BackupProvider>;
}

/**
 * A dialect made of others (failover): not part of what a dialect implements, but a shape of its
 * own that core recognises with `isCompositeDialect`.
 */
export interface CompositeDialect extends Dialect {
  /**
   * Picks the concrete dialect for one operation. Core calls it once at the start of every
   * migrator operation and uses the dialect it returns throughout that operation, so a run never
   * switches databases half way.
   */
  select(options?: { signal?: AbortSignal }): Promise<DialectSelection>;
}

/** Which database an operation of a composite dialect runs on, and why. */
export interface DialectSelection {
  dialect: Dialect;
  /** Present when a fallback was considered. */
  failover?: FailoverInfo;
}

/** What the failover dialect decided, shown in every output. */
export interface FailoverInfo {
  /** True when the fallback is used because the primary could not be reached. */
  used: boolean;
  /** The primary's target (redacted). */
  primary: string;
  /** The fallback's target (redacted). */
  fallback: string;
  /** Why the primary was not used (redacted), when `used`. */
  reason?: string;
}

/**
 * Role 1 of a session: one connection with transactions. Core calls its members one at a time
 * (never concurrently, except `cancel`), and closes it once. A dialect written today supplies
 * this, a {@link DialectLock} and a {@link StateFlavour}, and builds its session with
 * {@link composeSession}: core owns the state store and the lock loop.
 */
export type DialectConnection = Pick<DialectSession, 'query' | 'execute' | 'begin' | 'commit' | 'rollback' | 'close'> &
  Partial<Pick<DialectSession, 'inTransaction' | 'cancel' | 'describe'>>;

/** Engine-specific extras a connection may add (SQLite's foreign-key handling); core asks for them by name. */
export type DialectConnectionExtras = Partial<Pick<DialectSession, 'setForeignKeys' | 'checkForeignKeys' | 'findRebuildHazards'>>;

/**
 * Role 2 of a session: the migration lock, held by the session (a session lock: PostgreSQL's
 * advisory lock, MariaDB's `GET_LOCK`). Core owns the waiting ({@link waitForLock}): backoff,
 * `lockTimeoutMs`, the AbortSignal, the `lock-wait` events and `STRATA_LOCK_TIMEOUT`.
 */
export interface DialectLock {
  /**
   * Takes the lock if it is free, without waiting, holding no transaction or snapshot; true when
   * this session now holds it. Must not take it twice when it is re-entrant (`GET_LOCK`, advisory
   * locks): a second call while held returns true without taking it again.
   */
  tryLock(): Promise<boolean>;
  /**
   * Releases the lock. Throws `STRATA_LOCK_LOST` (exit 4) when the session did not hold it any more
   * (a migration released it, the connection was replaced): the run may have overlapped another.
   */
  releaseLock(): Promise<void>;
  /** Who holds the lock now (any session), or undefined when nobody does. */
  lockHolder?(): Promise<LockHolder | undefined>;
  /** The lock's name in the database, for messages (`strata:app.strata_migrations`). */
  readonly lockName?: string;
  /** The statement that ends a stuck holder, for the timeout's hint (`KILL 42`). */
  endHolderSql?(pid: number): string;
}

/**
 * The session core works with: a connection, a lock and a state store. Dialects build it with
 * {@link composeSession}; the built-in ones still assemble some members by hand for their own
 * fast paths (see decision 017).
 */
export interface DialectSession {
  /**
   * Runs one statement with bound parameters (`$1`-style for PostgreSQL, `?` for SQLite) and
   * returns its rows. Runs inside the open transaction if there is one.
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /**
   * Runs a script of one or more statements, without parameters, inside the open transaction if
   * there is one. On failure throws `STRATA_SQL_ERROR` (or `STRATA_DDL_LOCK_TIMEOUT`,
   * `STRATA_CONNECTION_FAILED`) whose `details` carry `statement` (1-based index in the script),
   * `line` (1-based line in the script) and `sqlState` where the database gives them.
   */
  execute(script: string): Promise<void>;
  /**
   * Opens a transaction. For dialects without a session lock this also takes the database's
   * write lock, waiting at most `lockTimeoutMs`, and throws `STRATA_LOCK_TIMEOUT` after that.
   */
  begin(): Promise<void>;
  /** Commits the open transaction. */
  commit(): Promise<void>;
  /** Rolls the open transaction back; a no-op when none is open. Never throws for a lost connection. */
  rollback(): Promise<void>;
  /**
   * Takes the migration lock, waiting at most `lockTimeoutMs` while holding no transaction or
   * snapshot. Throws `STRATA_LOCK_TIMEOUT` with `details.holder` ({@link LockHolder}) on timeout.
   * With `supportsSessionLock: false` this opens a write transaction that core ends with `commit`.
   * `options.onWait` is called while waiting, when the holder is learnt and whenever it changes
   * ({@link composeSession} does this through core's loop; a hand-written lock may ignore it).
   */
  acquireLock(options?: AcquireLockOptions): Promise<void>;
  /**
   * Releases the lock taken by {@link acquireLock}; checks that it was really held (PostgreSQL's
   * `pg_advisory_unlock` result). Called once per run, after the last commit or rollback.
   */
  releaseLock(): Promise<void>;
  /**
   * Dialects without a session lock: called right after {@link begin}; true when another
   * connection committed to the database since this session's last commit (SQLite's
   * `PRAGMA data_version`), so core re-reads the state before running the next step.
   */
  hasForeignWrites?(): Promise<boolean>;
  /**
   * Creates the state and events tables (and schema) when missing. Idempotent; may be called
   * inside an open transaction, and must not end it when the tables already exist (on databases
   * where DDL commits implicitly, check the catalogue before issuing any DDL).
   */
  ensureStateTables(): Promise<void>;
  /** Reads every row of the state table. Returns `[]` when the table does not exist yet. */
  readState(): Promise<StateRow[]>;
  /** Reads events, newest first. Returns `[]` when the table does not exist yet. */
  readEvents(query: EventQuery): Promise<EventRecord[]>;
  /** Applies state writes in order, inside the open transaction if there is one. */
  writeState(writes: readonly StateWrite[]): Promise<void>;
  /**
   * Optional fast path for a transactional SQL migration: runs `script` and `writes` atomically,
   * in as few round trips as the protocol allows. With `ownTransaction` it opens and commits (or
   * rolls back) its own transaction; otherwise it runs inside the one that is open. Errors as
   * {@link execute}. Without it core calls begin, execute, writeState, commit.
   *
   * Core cannot time a script that runs in the same round trip as its state row, so it passes
   * `executionMs: -1` on the upserted row and `durationMs: -1` on the event: the dialect replaces
   * them with the time the script took (measured in the database, e.g. PostgreSQL's
   * `clock_timestamp() - now()`, or around the call). A dialect that knows the number it recorded
   * returns it, so that `up` prints what `history` shows; otherwise core shows the call's time.
   */
  applyScript?(script: string, writes: readonly StateWrite[], ownTransaction: boolean): Promise<void | number>;
  /**
   * Called by core (synchronously, sending nothing) before each step of a run, with the lock held.
   * A dialect with a session lock folds into the step's first round trip whatever must hold before
   * a step: PostgreSQL checks that the lock is still this session's (refusing the step otherwise)
   * and resets the session's settings, so that what one migration changed (`search_path`, role,
   * timeouts) never reaches the next one.
   */
  startStep?(): void;
  /**
   * Who holds the migration lock now (any session, read sessions included), or undefined when
   * nobody does. Lets `status` tell a `running` row of a live run from one a crash left behind.
   */
  lockHolder?(): Promise<LockHolder | undefined>;
  /**
   * Dialects where foreign-key enforcement is a connection setting that cannot change inside a
   * transaction (SQLite's `PRAGMA foreign_keys`): sets it for the transactions that follow and
   * returns the previous setting. Core calls it with no transaction open, before and after a
   * migration that asks for foreign keys off (`-- strata:foreign-keys off`).
   */
  setForeignKeys?(enabled: boolean): Promise<boolean>;
  /**
   * Checks every foreign key of the database (SQLite's `PRAGMA foreign_key_check`) inside the open
   * transaction, if any. Core calls it after a migration run with foreign keys off, before the
   * commit, and fails the migration when `count` is not 0. `sample`: a few violations for people.
   */
  checkForeignKeys?(): Promise<{ count: number; sample: string[] }>;
  /**
   * The statements of `script` that would silently delete or blank rows of other tables through
   * cascading foreign keys with enforcement on (a SQLite table rebuild: `DROP TABLE parent` while
   * `child` references it `ON DELETE CASCADE`). Reads the schema as it is now; core calls it under
   * the lock for each SQL migration not marked foreign-keys off, and refuses the migration before it
   * runs when the list is not empty. Should be fast for scripts that drop or rename nothing.
   */
  findRebuildHazards?(script: string): Promise<RebuildHazard[]>;
  /**
   * Whether a transaction is open on the session now, as the database reports it (PostgreSQL's
   * ReadyForQuery status, better-sqlite3's `inTransaction`), without a round trip. Core asks after
   * a transactional script migration's function returns: a script that ran `COMMIT` or
   * `ROLLBACK` itself has ended strata's transaction, and is reported and marked `failed`.
   */
  inTransaction?(): Promise<boolean>;
  /** Cancels the statement running now (from another task), for SIGINT/SIGTERM. */
  cancel?(): Promise<void>;
  /** Facts safe to show with `--verbose` (effective timeouts, server version, journal mode). */
  describe?(): Promise<Record<string, string>>;
  /** Closes the connection; rolls back an open transaction and releases the lock with it. */
  close(): Promise<void>;
}
