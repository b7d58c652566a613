import { hostname, userInfo } from 'node:os';
import { type Dialect, type DialectCapabilities, type DialectSelection, type DialectSession, type LockHolder, resolveCapabilities } from './dialect.js';
import { isStrataError, redactSecrets, StrataError, toStrataError } from './errors.js';
import { checkMigrationFiles } from './internal/check-files.js';
import { guardSession } from './internal/guard-session.js';
import { describeInterruption } from './internal/interruption.js';
import { type LoadedMigration, type LoadedMigrations, loadMigrations } from './internal/load-migrations.js';
import { problemsError } from './internal/problems-error.js';
import { DEFAULT_LOCK_RETRIES, runStepWithLockRetries } from './internal/lock-retry.js';
import { rebuildHazardError, type StepContext } from './internal/run-step.js';
import { createScriptContext } from './internal/script-context.js';
import { TOOL_VERSION } from './internal/tool-version.js';
import type { MigrationContext } from './migration.js';
import type {
  BaselineOptions,
  BaselineReport,
  DownOptions,
  Migrator,
  MigratorOptions,
  PlanReport,
  PlanRequest,
  RepairAction,
  RepairOptions,
  RepairReport,
  RunReport,
  StatusReport,
  StepOutcome,
  StepReport,
  UpOptions,
  ValidateOptions,
  ValidationReport,
} from './migrator-types.js';
import { createPlan, newestAppliedVersions, type Plan, type PlanTarget, type PreparedMigrations, prepareMigrations } from './planner.js';
import type { Problem } from './problem.js';
import { CHECKSUM_ALGORITHM, type EventRecord, type StateRow, type StateWrite } from './state.js';
import { compareVersions, parseVersion } from './version.js';

/** @default 60 s */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/**
 * Creates the migration engine for one database.
 * @example
 * const migrator = createMigrator({
 *   dialect: createSqliteDialect({ filename: './app.db' }),
 *   sources: [createFileSource({ directory: './migrations' }), coreSchema],
 * });
 * await migrator.up();
 */
export function createMigrator(options: MigratorOptions): Migrator {
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
    dialect.select ? dialect.select(signal ? { signal } : {}) : { dialect };

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
    pending.then((session) => (entry.open = session), () => {});
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
  const withReadSession = async <T>(d: Dialect, work: (session: DialectSession) => Promise<T>, pending?: Promise<DialectSession>): Promise<T> => {
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

  const run = async (direction: 'up' | 'down', target: PlanTarget, runOptions: UpOptions & DownOptions): Promise<RunReport> => {
    const started = performance.now();
    const runId = newRunId();
    const dryRun = runOptions.dryRun ?? false;
    const single = dryRun || (runOptions.singleTransaction ?? false);
    const signal = runOptions.signal;
    const selection = await select(signal);
    const active = selection.dialect;
    const capabilities = resolveCapabilities(active);
    if (single && !capabilities.supportsTransactionalDdl) {
      throw new StrataError('STRATA_USAGE', `${dryRun ? '--dry-run' : '--single-transaction'} needs transactional DDL, which dialect ${active.name} does not have`);
    }
    const early = connectEarly(active, 'migrate', signal);
    const loaded = await load(active, early);
    // Problems that need no database (bad files, cycles) are reported before touching it.
    const offline = offlineProblems(loaded);
    if (offline.length) {
      await discard(early);
      throw problemsError(offline);
    }

    return withLock(active, signal, async (session, lock) => {
      if (selection.failover?.used && !dryRun) {
        await session.writeState([
          {
            kind: 'event',
            event: event({ action: 'failover', outcome: 'ok', details: { runId, primary: selection.failover.primary, reason: selection.failover.reason ?? null } }),
          },
        ]);
      }
      let state = await session.readState();
      let plan = planFor(loaded, state, target, runOptions.allowOutOfOrder);
      if (plan.problems.length) throw problemsError(plan.problems);
      const problems = await checkSteps(active, plan, loaded, single && !dryRun, single && session.setForeignKeys !== undefined);
      // A table rebuild that would cascade into child rows is refused before anything runs.
      problems.push(...(await rebuildProblems(session, plan, loaded)));
      if (problems.length) throw problemsError(problems);

      const steps: StepReport[] = [];
      let backupId: string | undefined;
      const finish = (): RunReport => {
        const durationMs = Math.round(performance.now() - started);
        emit({ type: 'run-end', durationMs });
        return {
          runId,
          direction,
          dialect: active.name,
          target: active.target,
          ...(selection.failover ? { failover: selection.failover } : {}),
          dryRun,
          singleTransaction: single && !dryRun,
          steps,
          durationMs,
          backupId,
        };
      };
      if (plan.steps.length === 0) return finish();

      if (!dryRun && !runOptions.skipHooks && options.hooks?.beforeRun) {
        const result = await options.hooks.beforeRun({
          dialect: active,
          direction,
          plan,
          runId,
          versions: newestAppliedVersions(state),
          ...(signal ? { signal } : {}),
        });
        backupId = result?.backupId;
      }
      emit({ type: 'run-start', direction, steps: plan.steps.length, dryRun, singleTransaction: single && !dryRun, runId });

      const context: StepContext = {
        session,
        dialect: active,
        capabilities,
        single,
        dryRun,
        stateRow: (migration, status, executionMs) => ({
          module: migration.module,
          version: migration.version.text,
          name: migration.name,
          checksum: migration.checksum ?? '',
          checksumAlgo: CHECKSUM_ALGORITHM,
          status,
          appliedAt: new Date().toISOString(),
          executionMs,
          appliedBy: actor,
          toolVersion,
        }),
        event: (fields) => event({ ...fields, backupId: backupId ?? null, details: { runId, ...(fields.details ?? {}) } }),
        migrationContext: (migration): MigrationContext => createScriptContext(active.name, session, migration.file),
      };

      if (single && !lock.inTransaction) {
        await session.begin();
        lock.inTransaction = true;
      }
      if (single) context.deferredWrites = [];
      let queue = plan.steps.map((step) => loaded.byId.get(step.migration.id)!);
      /** The migrations this run means to run, and the one running now: an interruption is reported from the state. */
      let runIds = queue.map((migration) => migration.id);
      let current: LoadedMigration | undefined;
      let done = 0;
      const total = queue.length;
      let cancel: (() => void) | undefined;
      if (signal && capabilities.supportsCancel && session.cancel) {
        cancel = () => void session.cancel!().catch(() => {});
        signal.addEventListener('abort', cancel, { once: true });
      }
      try {
        while (queue.length) {
          // Synchronous drivers (better-sqlite3) never yield: give signal handlers a turn.
          if (signal) await new Promise((resolve) => setImmediate(resolve));
          if (signal?.aborted) throw interrupted(signal);
          // A rebuild asks for foreign keys off: a connection setting that only changes between
          // transactions (SQLite), so the lock's transaction is committed first.
          const rebuild = !single && session.setForeignKeys !== undefined && queue[0]!.body?.foreignKeys === false ? queue[0] : undefined;
          let foreignKeysBefore: boolean | undefined;
          if (rebuild) {
            if (lock.inTransaction) {
              await session.commit();
              lock.inTransaction = false;
            }
            foreignKeysBefore = await session.setForeignKeys!(false);
          }
          const restoreForeignKeys = async () => {
            if (foreignKeysBefore === undefined) return;
            if (lock.inTransaction) {
              await session.rollback();
              lock.inTransaction = false;
            }
            await session.setForeignKeys!(foreignKeysBefore);
            foreignKeysBefore = undefined;
          };
          if (!single && !lock.inTransaction && !capabilities.supportsSessionLock) {
            await session.begin();
            lock.inTransaction = true;
            if (await session.hasForeignWrites?.()) {
              // Another runner committed since our last commit: plan again under the write lock.
              state = await session.readState();
              const remaining: PlanTarget =
                target.direction === 'down' && target.to === undefined
                  ? { direction: 'down', steps: (target.steps ?? 1) - done }
                  : target;
              plan = planFor(loaded, state, remaining, runOptions.allowOutOfOrder);
              if (plan.problems.length) throw problemsError(plan.problems);
              queue = plan.steps.map((step) => loaded.byId.get(step.migration.id)!);
              runIds = [...steps.map((step) => step.id), ...queue.map((migration) => migration.id)];
              emit({ type: 'replanned', reason: 'another runner changed the state' });
              if (rebuild && queue[0] !== rebuild) {
                // The next step is another one now: start over with the right foreign-key setting.
                await restoreForeignKeys();
                continue;
              }
              if (!queue.length) break;
            }
          }
          const migration = queue.shift()!;
          current = migration;
          emit({ type: 'step-start', id: migration.id, direction, index: done, total });
          const stepStarted = performance.now();
          session.startStep?.();
          let outcome: Awaited<ReturnType<typeof runStepWithLockRetries>>;
          try {
            outcome = await runStepWithLockRetries(context, migration, direction, lock, {
              retries: single || !migration.transaction || !capabilities.supportsTransactionalDdl ? 0 : lockRetries,
              ...(signal ? { signal } : {}),
              onRetry: async (retry) => {
                emit({ type: 'step-retry', id: migration.id, direction, ...retry });
                // Recorded when it can be without touching the step's transaction (a session lock: PostgreSQL).
                if (!capabilities.supportsSessionLock || lock.inTransaction) return;
                await session
                  .writeState([
                    {
                      kind: 'event',
                      event: event({
                        action: 'lock_timeout',
                        outcome: 'failed',
                        migrationId: migration.id,
                        backupId: backupId ?? null,
                        errorCode: retry.error.code,
                        errorMessage: retry.error.message.slice(0, 2000),
                        sqlState: (retry.error.details.sqlState as string | undefined) ?? null,
                        details: { runId, attempt: retry.attempt, retries: retry.retries, retryInMs: retry.delayMs, blockers: (retry.error.details.blockers as unknown) ?? null },
                      }),
                    },
                  ])
                  .catch(() => {});
              },
            });
          } finally {
            await restoreForeignKeys();
          }
          current = undefined;
          const durationMs = outcome.durationMs ?? Math.round(performance.now() - stepStarted);
          steps.push({
            id: migration.id,
            module: migration.module,
            version: migration.version.text,
            name: migration.name,
            direction,
            outcome: outcome.outcome,
            durationMs,
            ...(outcome.reason ? { reason: outcome.reason } : {}),
          });
          emit({ type: 'step-end', id: migration.id, direction, durationMs, outcome: outcome.outcome });
          done++;
        }
        if (context.deferredWrites?.length) {
          const writes = context.deferredWrites.splice(0);
          if (session.applyScript) await session.applyScript('', writes, false);
          else await session.writeState(writes);
        }
        if (lock.inTransaction) {
          if (dryRun) await session.rollback();
          else await session.commit();
          lock.inTransaction = false;
        }
        // A dry run's steps ran and were undone with its transaction: report them as such.
        if (dryRun) for (const step of steps) if (step.outcome !== 'skipped') step.outcome = 'rolled-back';
      } catch (error) {
        if (lock.inTransaction) {
          await session.rollback().catch(() => {});
          lock.inTransaction = false;
        }
        let failure = signal?.aborted && !isInterrupt(error) ? interrupted(signal, error) : error;
        if (isInterrupt(failure) && !dryRun) failure = await describeInterruption(failure as StrataError, session, direction, runIds, current?.id);
        const ran = steps.filter((step) => step.outcome !== 'skipped').length;
        if (single && ran > 0 && isStrataError(failure) && failure.code === 'STRATA_MIGRATION_FAILED') {
          // The failing step's own hint speaks of it alone: in one transaction, the earlier ones went too.
          failure = new StrataError(failure.code, failure.message, {
            hint: `Nothing of this run was ${direction === 'up' ? 'applied' : 'reverted'}: its one transaction was rolled back, with the ${ran} step${ran === 1 ? '' : 's'} before ${current?.id ?? 'the failing one'}; fix ${current?.file ?? 'the migration'}${typeof failure.details.line === 'number' ? ` at line ${failure.details.line}` : ''} and run the command again`,
            cause: failure.cause,
            details: failure.details,
          });
        }
        if (isStrataError(failure)) failure.details.steps = failedRunSteps(steps, current, queue, direction, single);
        if (!dryRun) await recordFailure(session, failure, single, direction, event, backupId, runId);
        throw failure;
      } finally {
        if (cancel) signal!.removeEventListener('abort', cancel);
      }
      return finish();
    }, dryRun, early);
  };

  /** SQL steps (not marked foreign-keys off) that would cascade into child rows, from the schema as it is now. */
  const rebuildProblems = async (session: DialectSession, plan: Plan, loaded: LoadedMigrations): Promise<Problem[]> => {
    const problems: Problem[] = [];
    if (!session.findRebuildHazards) return problems;
    for (const step of plan.steps) {
      const migration = loaded.byId.get(step.migration.id)!;
      const body = step.direction === 'up' ? migration.body?.up : migration.body?.down;
      if (typeof body !== 'string' || migration.body?.foreignKeys === false) continue;
      const refused = await rebuildHazardError(session, migration, step.direction, body);
      if (refused) {
        problems.push({
          code: refused.code,
          message: refused.message,
          ...(refused.hint ? { hint: refused.hint } : {}),
          migrationId: migration.id,
          ...(migration.file ? { file: migration.file } : {}),
          details: refused.details,
        });
      }
    }
    return problems;
  };

  /** Refuses, before anything runs, statements that cannot run in a transaction. */
  const checkSteps = async (
    d: Dialect,
    plan: Plan,
    loaded: LoadedMigrations,
    single: boolean,
    /** The run is one transaction (single or dry run) on a dialect whose foreign keys change only between transactions. */
    wholeRunTransaction = false,
  ): Promise<Problem[]> => {
    const problems: Problem[] = [];
    for (const step of plan.steps) {
      const migration = loaded.byId.get(step.migration.id)!;
      const body = step.direction === 'up' ? migration.body?.up : migration.body?.down;
      if (!migration.transaction) {
        if (single) {
          problems.push({
            code: 'STRATA_NON_TRANSACTIONAL_STATEMENT',
            message: `Migration ${migration.id} runs outside a transaction, so it cannot be part of a single-transaction run or a dry run`,
            hint: 'Run without --single-transaction / --dry-run, or apply it on its own first',
            migrationId: migration.id,
            ...(migration.file ? { file: migration.file } : {}),
          });
        }
        continue;
      }
      if (wholeRunTransaction && migration.body?.foreignKeys === false) {
        problems.push({
          code: 'STRATA_NON_TRANSACTIONAL_STATEMENT',
          message: `Migration ${migration.id} runs with foreign keys off, which changes only between transactions: it cannot be part of a single-transaction run or a dry run`,
          hint: 'Run without --single-transaction / --dry-run, or apply it on its own first',
          migrationId: migration.id,
          ...(migration.file ? { file: migration.file } : {}),
        });
        continue;
      }
      if (typeof body !== 'string') continue;
      const found = await d.findNonTransactional(body);
      const first = found[0];
      if (!first) continue;
      const sectionLine = (step.direction === 'up' ? migration.body?.upLine : migration.body?.downLine) ?? 1;
      const line = sectionLine + first.line - 1;
      problems.push({
        code: 'STRATA_NON_TRANSACTIONAL_STATEMENT',
        message: `Migration ${migration.id} (${migration.file ?? 'no file'}, statement ${first.index}, line ${line}) holds a statement that cannot run in a transaction: ${first.nonTransactional ?? first.text.slice(0, 60)}`,
        hint: 'Add `-- strata:transaction off` at the top of the file (the migration then runs statement by statement, outside a transaction)',
        migrationId: migration.id,
        ...(migration.file ? { file: migration.file } : {}),
        details: { statement: first.index, line },
      });
    }
    return problems;
  };

  /** validate: the files that run only on other dialects, each checked with that dialect's splitter. */
  const checkOtherDialects = async (loaded: LoadedMigrations, validateOptions: ValidateOptions): Promise<Problem[]> => {
    const problems: Problem[] = [];
    const checked = new Set(loaded.migrations.map((m) => m.file));
    for (const other of validateOptions.alsoCheck ?? []) {
      if (other.name === loaded.dialect) continue;
      const theirs = await loadMigrations(options.sources, other.name);
      const own = theirs.migrations.filter((m) => m.file !== undefined && !checked.has(m.file));
      for (const m of own) checked.add(m.file);
      problems.push(...(await checkMigrationFiles(other, own)));
    }
    return problems;
  };

  const migrator: Migrator = {
    dialect,

    async status(): Promise<StatusReport> {
      const selection = await select();
      const early = connectEarly(selection.dialect, 'read');
      const loaded = await load(selection.dialect, early);
      const { state, holder } = await withReadSession(
        selection.dialect,
        async (session) => {
          const rows = await session.readState();
          // A `running` row whose run still holds the lock is work in progress, not a crash's leftover.
          const holder = rows.some((row) => row.status === 'running') ? await session.lockHolder?.().catch(() => undefined) : undefined;
          return { state: rows, holder };
        },
        early,
      );
      const plan = planFor(loaded, state, { direction: 'none' });
      const problems = holder ? plan.problems.map((problem) => stillRunning(problem, state, holder)) : plan.problems;
      return report(selection, { migrations: plan.entries, problems });
    },

    async validate(validateOptions: ValidateOptions = {}): Promise<ValidationReport> {
      if (validateOptions.offline) {
        // The files alone: no connection, no state (a failover dialect checks as its primary).
        const loaded = await load(dialect);
        const problems = [...offlineProblems(loaded), ...(await checkMigrationFiles(dialect, loaded.migrations)), ...(await checkOtherDialects(loaded, validateOptions))];
        return { dialect: dialect.name, target: dialect.target, offline: true, ok: problems.length === 0, checked: loaded.migrations.length, problems };
      }
      const selection = await select();
      const early = connectEarly(selection.dialect, 'read');
      const loaded = await load(selection.dialect, early);
      // The pending steps' table rebuilds are checked against the schema too (SQLite), in the same session.
      const { plan, rebuilds } = await withReadSession(
        selection.dialect,
        async (session) => {
          const plan = planFor(loaded, await session.readState(), { direction: 'up' });
          return { plan, rebuilds: plan.problems.length ? [] : await rebuildProblems(session, plan, loaded) };
        },
        early,
      );
      const problems = [...plan.problems, ...(await checkMigrationFiles(selection.dialect, loaded.migrations)),
        ...(await checkOtherDialects(loaded, validateOptions)),
        ...rebuilds,
      ];
      return report(selection, { offline: false, ok: problems.length === 0, checked: loaded.migrations.length, problems });
    },

    async plan(request: PlanRequest): Promise<PlanReport> {
      const selection = await select();
      const early = connectEarly(selection.dialect, 'read');
      const loaded = await load(selection.dialect, early);
      const state = await withReadSession(selection.dialect, (session) => session.readState(), early);
      const target: PlanTarget =
        request.direction === 'up'
          ? { direction: 'up', ...(request.to ? { to: request.to } : {}) }
          : { direction: 'down', ...(request.to ? { to: request.to } : {}), ...(request.steps ? { steps: request.steps } : {}) };
      const plan = planFor(loaded, state, target, request.allowOutOfOrder);
      const problems = [...plan.problems, ...(await checkSteps(selection.dialect, plan, loaded, false))];
      const steps = plan.steps.map((step) => {
        const migration = loaded.byId.get(step.migration.id)!;
        const body = step.direction === 'up' ? migration.body?.up : migration.body?.down;
        return {
          id: migration.id,
          module: migration.module,
          version: migration.version.text,
          name: migration.name,
          direction: step.direction,
          transaction: migration.transaction,
          file: migration.file,
          sql: typeof body === 'string' ? body : undefined,
          stateWrites:
            step.direction === 'up'
              ? [`record ${migration.id} as applied (checksum ${migration.checksum ?? '?'})`, `append event apply ${migration.id}`]
              : [`delete the state row of ${migration.id}`, `append event revert ${migration.id}`],
        };
      });
      return report(selection, { direction: request.direction, steps, problems });
    },

    up: (upOptions: UpOptions = {}) =>
      run('up', { direction: 'up', ...(upOptions.to ? { to: upOptions.to } : {}) }, upOptions),

    down: (downOptions: DownOptions = {}) => {
      if (downOptions.steps !== undefined && (!Number.isInteger(downOptions.steps) || downOptions.steps < 1)) {
        throw new StrataError('STRATA_USAGE', `--steps must be a positive whole number, not ${downOptions.steps}`);
      }
      return run(
        'down',
        { direction: 'down', ...(downOptions.to ? { to: downOptions.to } : {}), ...(downOptions.steps ? { steps: downOptions.steps } : {}) },
        downOptions,
      );
    },

    async repair(repairOptions: RepairOptions): Promise<RepairReport> {
      const selection = await select();
      const loaded = await load(selection.dialect);
      const dryRun = repairOptions.dryRun ?? false;
      return withLock(selection.dialect, undefined, async (session, lock) => {
        const state = await session.readState();
        const plan = planFor(loaded, state, { direction: 'none' });
        const actions = planRepair(repairOptions, plan, state, loaded);
        if (!dryRun && actions.length) {
          const writes: StateWrite[] = [];
          const rows = new Map(state.map((row) => [`${row.module}@${row.version}`, row]));
          for (const action of actions) {
            const row = rows.get(action.id);
            const migration = loaded.byId.get(action.id);
            if (action.kind === 'accept-checksum' && row && migration) {
              writes.push({ kind: 'upsert', row: { ...row, checksum: migration.checksum!, checksumAlgo: CHECKSUM_ALGORITHM } });
            } else if (action.kind === 'mark-applied' && migration) {
              writes.push({ kind: 'upsert', row: applyRow(migration, actor, toolVersion) });
            } else {
              const [module, version] = splitId(action.id);
              writes.push({ kind: 'delete', module, version });
            }
            writes.push({
              kind: 'event',
              event: event({
                action: 'repair',
                outcome: 'ok',
                migrationId: action.id,
                details: { repair: action.kind, detail: action.detail, ...(row ? { previousChecksum: row.checksum, previousStatus: row.status } : {}) },
              }),
            });
          }
          if (!lock.inTransaction) await session.begin();
          lock.inTransaction = true;
          await session.writeState(writes);
          await session.commit();
          lock.inTransaction = false;
        }
        return report(selection, { dryRun, actions });
      });
    },

    async baseline(version: string, baselineOptions: BaselineOptions = {}): Promise<BaselineReport> {
      const selection = await select();
      const loaded = await load(selection.dialect);
      const module = baselineOptions.module ?? (version.includes('@') ? version.slice(0, version.lastIndexOf('@')) : defaultModule(loaded));
      const target = parseVersion(version.includes('@') ? version.slice(version.lastIndexOf('@') + 1) : version);
      if (!loaded.migrations.some((m) => m.module === module)) {
        throw new StrataError('STRATA_UNKNOWN_TARGET', `Cannot baseline ${module}@${target.text}: module ${module} has no migrations`, {
          hint: 'Run `strata status` to list the modules',
        });
      }
      const dryRun = baselineOptions.dryRun ?? false;
      return withLock(selection.dialect, undefined, async (session, lock) => {
        const state = await session.readState();
        const applied = new Set(state.map((row) => `${row.module}@${row.version}`));
        const chosen = loaded.migrations.filter(
          (m) => m.module === module && compareVersions(m.version, target) <= 0 && !applied.has(m.id),
        );
        const broken = chosen.filter((m) => m.checksum === undefined);
        if (broken.length) throw problemsError(loaded.problems.filter((p) => broken.some((m) => m.id === p.migrationId)));
        // Recorded checksums must be of what the files hold now: a body a source deferred (the
        // checksum cache) is read here and checked against the checksum about to be recorded.
        for (const migration of chosen) void migration.body?.checksumText;
        if (!dryRun && chosen.length) {
          const writes: StateWrite[] = [];
          for (const migration of chosen) {
            writes.push({ kind: 'upsert', row: applyRow(migration, actor, toolVersion) });
            writes.push({ kind: 'event', event: event({ action: 'baseline', outcome: 'ok', migrationId: migration.id, details: { baseline: `${module}@${target.text}` } }) });
          }
          if (!lock.inTransaction) await session.begin();
          lock.inTransaction = true;
          await session.writeState(writes);
          await session.commit();
          lock.inTransaction = false;
        }
        return report(selection, { baselined: chosen.map((m) => m.id), dryRun });
      });
    },

    history: async (query = {}) => {
      const selection = await select();
      return withReadSession(selection.dialect, (session) => session.readEvents(query));
    },

    async close() {
      await dialect.destroy?.();
    },
  };
  return migrator;
}

/**
 * Dialects whose lock is the database's write lock (SQLite): the event of a lock timeout needs
 * that very lock. Try once, briefly, on a session of its own (the holder may just have let go);
 * when the lock is still held the event cannot be written and is dropped.
 */
async function recordWithoutWaiting(d: Dialect, write: StateWrite): Promise<void> {
  let session: DialectSession | undefined;
  try {
    session = guardSession(await d.connect({ purpose: 'migrate', lockTimeoutMs: 500 }));
    await session.begin();
    await session.ensureStateTables();
    await session.writeState([write]);
    await session.commit();
  } catch {
    await session?.rollback().catch(() => {});
  } finally {
    await session?.close().catch(() => {});
  }
}

/** Whether the lock's transaction is open; shared with the step runner. */
export interface LockState {
  inTransaction: boolean;
  held: boolean;
}

/** A copy of a JSON-like value with every string passed through `scrub` (keys included). */
function scrubValue(value: unknown, scrub: (text: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, scrub));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[scrub(key)] = scrubValue(item, scrub);
    return out;
  }
  return value;
}

/** Lists dialect-only migrations of other dialects in the status entries, beside their module's versions. */
function addNotApplicable(plan: Plan, loaded: LoadedMigrations): void {
  for (const migration of loaded.notApplicable) {
    if (plan.entries.some((entry) => entry.id === migration.id)) continue; // a state row names it: shown as that
    const entry = {
      id: migration.id,
      module: migration.module,
      version: migration.version.text,
      name: migration.name,
      state: 'not-applicable' as const,
      file: migration.file,
      appliedAt: undefined,
      checksum: undefined,
      appliedChecksum: undefined,
    };
    let at = plan.entries.findIndex((e) => e.module === migration.module && e.state !== 'missing' && compareVersions(e.version, migration.version) > 0);
    if (at === -1) {
      const last = plan.entries.findLastIndex((e) => e.module === migration.module && e.state !== 'missing');
      at = last === -1 ? plan.entries.findIndex((e) => e.state === 'missing' || e.module > migration.module) : last + 1;
      if (at === -1) at = plan.entries.length;
    }
    plan.entries.splice(at, 0, entry);
  }
}

function applyRow(migration: LoadedMigration, actor: string, toolVersion: string): StateRow {
  return {
    module: migration.module,
    version: migration.version.text,
    name: migration.name,
    checksum: migration.checksum ?? '',
    checksumAlgo: CHECKSUM_ALGORITHM,
    status: 'applied',
    appliedAt: new Date().toISOString(),
    executionMs: 0,
    appliedBy: actor,
    toolVersion,
  };
}

/** A `running` row's problem when its run is alive: say where it runs instead of suggesting repair. */
function stillRunning(problem: Problem, state: readonly StateRow[], holder: LockHolder): Problem {
  if (problem.code !== 'STRATA_NEEDS_REPAIR' || !problem.migrationId) return problem;
  const [module, version] = splitId(problem.migrationId);
  const row = state.find((r) => r.module === module && r.version === version);
  if (row?.status !== 'running') return problem;
  const at = row.appliedBy.lastIndexOf('@');
  const host = at >= 0 ? row.appliedBy.slice(at + 1) : (holder.host ?? holder.clientAddress);
  const where = [holder.pid !== undefined ? `pid ${holder.pid}` : undefined, host ? `on host ${host}` : undefined].filter(Boolean).join(' ');
  return {
    ...problem,
    code: 'STRATA_MIGRATION_RUNNING',
    message: `Migration ${problem.migrationId} is running${where ? ` in ${where}` : ''} since ${row.appliedAt} (started by ${row.appliedBy}; that run holds the migration lock)`,
    hint: 'Wait for that run to finish and check again; do not repair a migration that is still running',
    details: { ...(problem.details ?? {}), holder: { ...holder } },
  };
}

function splitId(id: string): [string, string] {
  const at = id.lastIndexOf('@');
  return [id.slice(0, at), id.slice(at + 1)];
}

function planRepair(options: RepairOptions, plan: Plan, state: StateRow[], loaded: LoadedMigrations): RepairAction[] {
  const actions: RepairAction[] = [];
  const entries = new Map(plan.entries.map((entry) => [entry.id, entry]));
  const wants = (list: readonly string[] | 'all' | undefined, id: string) => list === 'all' || (list?.includes(id) ?? false);
  const unknown = (list: readonly string[] | 'all' | undefined, kind: string, ok: (id: string) => boolean) => {
    if (!list || list === 'all') return;
    for (const id of list) {
      if (!ok(id)) {
        throw new StrataError('STRATA_REPAIR_INVALID', `Cannot ${kind} ${id}: ${entries.has(id) ? `it is ${entries.get(id)!.state}` : 'no such migration'}`, {
          hint: 'Run `strata status` to see each migration\'s state',
        });
      }
    }
  };
  unknown(options.acceptChecksums, 'accept the checksum of', (id) => entries.get(id)?.state === 'changed');
  unknown(options.dropFailed, 'drop the failed row of', (id) => ['failed', 'running'].includes(entries.get(id)?.state ?? ''));
  unknown(options.forgetMissing, 'forget', (id) => entries.get(id)?.state === 'missing');
  unknown(options.markApplied, 'mark as applied', (id) => entries.get(id)?.state === 'pending' || ['failed', 'running'].includes(entries.get(id)?.state ?? ''));
  unknown(options.markReverted, 'mark as reverted', (id) => state.some((row) => `${row.module}@${row.version}` === id));
  for (const entry of plan.entries) {
    if (entry.state === 'changed' && wants(options.acceptChecksums, entry.id)) {
      actions.push({ kind: 'accept-checksum', id: entry.id, detail: `${entry.appliedChecksum} -> ${entry.checksum}` });
    }
    if ((entry.state === 'failed' || entry.state === 'running') && wants(options.dropFailed, entry.id) && !options.markApplied?.includes(entry.id)) {
      actions.push({ kind: 'drop-failed', id: entry.id, detail: `delete the ${entry.state} row` });
    }
    if (entry.state === 'missing' && wants(options.forgetMissing, entry.id)) {
      actions.push({ kind: 'forget-missing', id: entry.id, detail: 'delete the row of a migration whose source is gone' });
    }
  }
  for (const id of options.markApplied ?? []) {
    if (!loaded.byId.get(id)?.checksum) throw new StrataError('STRATA_REPAIR_INVALID', `Cannot mark ${id} as applied: its source cannot be read`);
    actions.push({ kind: 'mark-applied', id, detail: 'record as applied without running it' });
  }
  for (const id of options.markReverted ?? []) {
    actions.push({ kind: 'mark-reverted', id, detail: 'delete the row without running its down' });
  }
  return actions;
}

async function recordFailure(
  session: DialectSession,
  error: unknown,
  single: boolean,
  direction: 'up' | 'down',
  event: (fields: Partial<EventRecord> & Pick<EventRecord, 'action' | 'outcome'>) => EventRecord,
  backupId: string | undefined,
  runId: string,
): Promise<void> {
  if (!isStrataError(error) || error.details.recorded) return;
  if (error.code === 'STRATA_CONNECTION_FAILED' || error.code === 'STRATA_LOCK_TIMEOUT') return;
  // The failed step's own transaction was rolled back; its failure is recorded in a new one.
  try {
    await session.begin();
    // A failed first run may have rolled back the creation of the tables with it.
    await session.ensureStateTables();
    await session.writeState([
      {
        kind: 'event',
        event: event({
          action: direction === 'up' ? 'apply' : 'revert',
          outcome: 'failed',
          migrationId: (error.details.migrationId as string | undefined) ?? null,
          backupId: backupId ?? null,
          errorCode: error.code,
          errorMessage: error.message.slice(0, 2000),
          sqlState: (error.details.sqlState as string | undefined) ?? null,
          details: { runId, singleTransaction: single },
        }),
      },
    ]);
    await session.commit();
  } catch {
    await session.rollback().catch(() => {});
  }
}

/**
 * What each step of a failed run ended as, for the error: steps that ran inside the one
 * transaction of a single-transaction run or dry run were rolled back with it; in a per-migration
 * run they stay applied (or reverted). Then the step that failed, then the ones never started.
 */
function failedRunSteps(
  steps: readonly StepReport[],
  current: LoadedMigration | undefined,
  queue: readonly LoadedMigration[],
  direction: 'up' | 'down',
  single: boolean,
): StepReport[] {
  const entry = (m: LoadedMigration, outcome: StepOutcome): StepReport => ({
    id: m.id,
    module: m.module,
    version: m.version.text,
    name: m.name,
    direction,
    outcome,
    durationMs: 0,
  });
  return [
    ...steps.map((step) => (single && step.outcome !== 'skipped' ? { ...step, outcome: 'rolled-back' as const } : { ...step })),
    ...(current ? [entry(current, 'failed')] : []),
    ...queue.map((m) => entry(m, 'not-run')),
  ];
}

function interrupted(signal: AbortSignal, cause?: unknown): StrataError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new StrataError('STRATA_INTERRUPTED', `Interrupted (${reason}): the running migration was rolled back`, {
    hint: 'Run the command again to continue from where it stopped',
    cause,
  });
}

function isInterrupt(error: unknown): boolean {
  return isStrataError(error) && error.code === 'STRATA_INTERRUPTED';
}

/** Correlates a run's events; unique, not secret (Math.random: no node:crypto on the start-up path). */
function newRunId(): string {
  return `${Date.now().toString(36)}-${Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0')}`;
}

function defaultActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): keep $USER.
  }
  return `${user}@${safeHostname()}`;
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return 'unknown';
  }
}

export type { DialectCapabilities };
