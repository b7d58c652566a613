import { type Dialect, type DialectSelection, type DialectSession, resolveCapabilities } from '../dialect.js';
import { isCompositeDialect } from '../failover.js';
import { isStrataError, redactSecrets, StrataError, toStrataError } from '../errors.js';
import { guardSession } from './guard-session.js';
import { type LoadedMigrations, loadMigrations } from './load-migrations.js';
import { DEFAULT_LOCK_RETRIES } from './lock-retry.js';
import { TOOL_VERSION } from './tool-version.js';
import type { MigratorOptions } from '../migrator-types.js';
import { createPlan, type Plan, type PlanTarget, type PreparedMigrations, prepareMigrations } from '../planner.js';
import type { Problem } from '../problem.js';
import type { EventRecord, StateRow, StateWrite } from '../state.js';
import { recordWithoutWaiting, scrubValue, addNotApplicable, defaultActor, safeHostname, type LockState } from './migrator-helpers.js';

/** @default 60 s */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/**
 * What every migrator operation shares: the options resolved once, the connection and lock
 * handling, the event and plan builders.
 */
export function createEngine(options: MigratorOptions) {
  const dialect = options.dialect;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const lockRetries = options.lockRetries ?? DEFAULT_LOCK_RETRIES;
  if (!Number.isInteger(lockRetries) || lockRetries < 0 || lockRetries > 100) {
    throw new StrataError('STRATA_CONFIG_INVALID', `lockRetries must be a whole number from 0 to 100, not ${lockRetries}`);
  }
  const actor = options.actor ?? defaultActor();
  const host = safeHostname();
  const toolVersion = options.toolVersion ?? TOOL_VERSION;
  const emit = options.onEvent ?? (() => {});
  const secrets = [...(options.secrets ?? [])].filter(Boolean);
  /** Everything written to the database goes through the same redaction as the terminal. */
  const scrub = (text: string): string => redactSecrets(dialect.redact ? dialect.redact(text) : text, secrets);

  /** The concrete dialect for one operation (a failover dialect picks primary or fallback once). */
  const select = async (signal?: AbortSignal): Promise<DialectSelection> =>
    isCompositeDialect(dialect) ? dialect.select(signal ? { signal } : {}) : { dialect };

  const connect = async (d: Dialect, purpose: 'migrate' | 'read', signal?: AbortSignal): Promise<DialectSession> => {
    try {
      return guardSession(await d.connect({ purpose, lockTimeoutMs, ...(signal ? { signal } : {}) }));
    } catch (error) {
      throw toStrataError(error, 'STRATA_CONNECTION_FAILED');
    }
  };

  const load = async (d: Dialect, pending?: Promise<DialectSession>): Promise<LoadedMigrations> => {
    // One turn of the event loop lets a connection started early send its first packets, so the
    // server's side of the handshake overlaps the (synchronous) reading of the sources.
    if (pending) await new Promise((resolve) => setImmediate(resolve));
    try {
      return await loadMigrations(options.sources, d.name);
    } catch (error) {
      await discard(pending);
      throw error;
    }
  };

  /**
   * For dialects that connect over a network: start connecting now, before loading the sources,
   * on a signal of its own (linked to the caller's) so that an unused connection can be cut short.
   */
  const early = new WeakMap<Promise<DialectSession>, { controller: AbortController; open?: DialectSession }>();
  const connectEarly = (d: Dialect, purpose: 'migrate' | 'read', signal?: AbortSignal): Promise<DialectSession> | undefined => {
    if (!resolveCapabilities(d).connectsEarly) return undefined;
    const controller = new AbortController();
    if (signal?.aborted) controller.abort(signal.reason);
    else signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    const pending = connect(d, purpose, controller.signal);
    const entry: { controller: AbortController; open?: DialectSession } = { controller };
    // Awaited by the operation, or ended by discard(); the rejection is observed either way.
    pending.then(
      (session) => (entry.open = session),
      () => {},
    );
    early.set(pending, entry);
    return pending;
  };
  /**
   * Ends an early connection the operation will not use: aborts it if it is still connecting,
   * closes it once open, and waits for that (at most a second) so that no socket or backend
   * outlives the operation's error.
   */
  const discard = async (pending: Promise<DialectSession> | undefined): Promise<void> => {
    const entry = pending && early.get(pending);
    if (!pending || !entry) return;
    if (!entry.open) entry.controller.abort(new StrataError('STRATA_INTERRUPTED', 'connection not needed: the sources have problems'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      pending.then((session) => session.close()).catch(() => {}),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
  };

  const defaultModule = (loaded: LoadedMigrations): string => {
    if (options.defaultModule) return options.defaultModule;
    const modules = new Set(loaded.migrations.map((m) => m.module));
    return modules.size === 1 ? [...modules][0]! : 'app';
  };

  /** Prepared once per load: a run checks the sources before connecting and plans again under the lock. */
  const prepare = (loaded: LoadedMigrations): PreparedMigrations => (loaded.prepared ??= prepareMigrations(loaded.migrations));
  /** What planning finds without the database: the sources' problems, duplicate ids, the graph's. */
  const offlineProblems = (loaded: LoadedMigrations): Problem[] => [...loaded.problems, ...prepare(loaded).problems];
  const planFor = (loaded: LoadedMigrations, state: StateRow[], target: PlanTarget, allowOutOfOrder?: boolean): Plan => {
    const plan = createPlan(prepare(loaded), state, target, {
      allowOutOfOrder: allowOutOfOrder ?? options.allowOutOfOrder ?? false,
      defaultModule: defaultModule(loaded),
      ...(loaded.notApplicable.length ? { otherDialectIds: new Set(loaded.notApplicable.map((m) => m.id)) } : {}),
    });
    plan.problems.unshift(...loaded.problems);
    if (loaded.notApplicable.length) addNotApplicable(plan, loaded);
    return plan;
  };

  const event = (fields: Partial<EventRecord> & Pick<EventRecord, 'action' | 'outcome'>): EventRecord => {
    const record: EventRecord = {
      at: new Date().toISOString(),
      migrationId: null,
      durationMs: null,
      actor,
      host,
      toolVersion,
      backupId: null,
      errorCode: null,
      errorMessage: null,
      sqlState: null,
      details: null,
      ...fields,
    };
    // A migration's error text may quote a password (a JS error, a server message, a holder's query).
    if (record.errorMessage) record.errorMessage = scrub(record.errorMessage);
    if (record.details) record.details = scrubValue(record.details, scrub) as EventRecord['details'];
    return record;
  };

  /** Reads state without the lock: status, validate, plan, history. */
  const withReadSession = async <T>(
    d: Dialect,
    work: (session: DialectSession) => Promise<T>,
    pending?: Promise<DialectSession>,
  ): Promise<T> => {
    const session = await (pending ?? connect(d, 'read'));
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  };

  /**
   * Takes the lock, ensures the state tables and hands a locked session to `work`. For dialects
   * whose lock is the database's write lock, the write transaction opened by acquireLock is still
   * open when `work` starts; `work` tells how it left it.
   */
  const withLock = async <T>(
    d: Dialect,
    signal: AbortSignal | undefined,
    work: (session: DialectSession, lock: LockState) => Promise<T>,
    /** Dry runs: create the state tables inside the transaction that is rolled back. */
    tablesInTransaction = false,
    /** A session started by connectEarly. */
    pending?: Promise<DialectSession>,
  ): Promise<T> => {
    const capabilities = resolveCapabilities(d);
    const session = await (pending ?? connect(d, 'migrate', signal));
    const lock: LockState = { inTransaction: false, held: false };
    try {
      emit({ type: 'lock-wait', target: d.target });
      const started = performance.now();
      try {
        await session.acquireLock({ onWait: (wait) => emit({ type: 'lock-wait', target: d.target, ...wait }) });
      } catch (error) {
        if (isStrataError(error) && error.code === 'STRATA_LOCK_TIMEOUT') {
          // The history says who waited in vain, and for whom (best effort: append-only).
          const record: StateWrite = {
            kind: 'event',
            event: event({
              action: 'lock_timeout',
              outcome: 'failed',
              durationMs: Math.round(performance.now() - started),
              errorCode: error.code,
              errorMessage: error.message.slice(0, 2000),
              details: { holder: (error.details.holder as Record<string, unknown> | undefined) ?? null },
            }),
          };
          if (capabilities.supportsSessionLock) await session.writeState([record]).catch(() => {});
          else await recordWithoutWaiting(d, record);
        }
        throw error;
      }
      lock.held = true;
      lock.inTransaction = !capabilities.supportsSessionLock;
      emit({ type: 'lock-acquired', waitedMs: Math.round(performance.now() - started) });
      if (tablesInTransaction && !lock.inTransaction) {
        await session.begin();
        lock.inTransaction = true;
      }
      await session.ensureStateTables();
      const result = await work(session, lock);
      if (lock.inTransaction) {
        if (tablesInTransaction) await session.rollback();
        else await session.commit();
        lock.inTransaction = false;
      }
      // A release that finds the lock gone fails the run loudly: something else could have run
      // migrations while this run believed it held the lock.
      if (lock.held) {
        lock.held = false;
        await session.releaseLock();
      }
      return result;
    } catch (error) {
      if (lock.inTransaction) await session.rollback().catch(() => {});
      throw error;
    } finally {
      if (lock.held) await session.releaseLock().catch(() => {});
      await session.close().catch(() => {});
    }
  };

  const report = <T extends object>(selection: DialectSelection, fields: T) => ({
    dialect: selection.dialect.name,
    target: selection.dialect.target,
    ...(selection.failover ? { failover: selection.failover } : {}),
    ...fields,
  });

  return {
    options,
    dialect,
    lockTimeoutMs,
    lockRetries,
    actor,
    host,
    toolVersion,
    emit,
    secrets,
    scrub,
    select,
    connect,
    load,
    early,
    connectEarly,
    discard,
    defaultModule,
    prepare,
    offlineProblems,
    planFor,
    event,
    withReadSession,
    withLock,
    report,
  };
}

export type Engine = ReturnType<typeof createEngine>;
