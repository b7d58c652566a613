import { type Dialect, type DialectSession, resolveCapabilities } from '../dialect.js';
import { isStrataError, StrataError } from '../errors.js';
import { checkMigrationFiles } from './check-files.js';
import { describeInterruption } from './interruption.js';
import { type LoadedMigration, type LoadedMigrations, loadMigrations } from './load-migrations.js';
import { problemsError } from './problems-error.js';
import { runStepWithLockRetries } from './lock-retry.js';
import { rebuildHazardError, type StepContext } from './run-step.js';
import { createScriptContext } from './script-context.js';
import type { MigrationContext } from '../migration.js';
import type { DownOptions, RunReport, StepReport, UpOptions, ValidateOptions } from '../migrator-types.js';
import { newestAppliedVersions, type Plan, type PlanTarget } from '../planner.js';
import type { Problem } from '../problem.js';
import { CHECKSUM_ALGORITHM, type StateWrite } from '../state.js';
import { recordFailure, failedRunSteps, interrupted, isInterrupt, newRunId } from './migrator-helpers.js';
import type { Engine } from './migrator-engine.js';

/** A run (up, down) and the checks that come before it, over the shared engine. */
export function createRunner(engine: Engine) {
  const { options, lockRetries, actor, toolVersion, emit, select, load, connectEarly, discard, offlineProblems, planFor, event, withLock } =
    engine;
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
      throw new StrataError(
        'STRATA_USAGE',
        `${dryRun ? '--dry-run' : '--single-transaction'} needs transactional DDL, which dialect ${active.name} does not have`,
      );
    }
    const early = connectEarly(active, 'migrate', signal);
    const loaded = await load(active, early);
    // Problems that need no database (bad files, cycles) are reported before touching it.
    const offline = offlineProblems(loaded);
    if (offline.length) {
      await discard(early);
      throw problemsError(offline);
    }

    return withLock(
      active,
      signal,
      async (session, lock) => {
        if (selection.failover?.used && !dryRun) {
          await session.writeState([
            {
              kind: 'event',
              event: event({
                action: 'failover',
                outcome: 'ok',
                details: { runId, primary: selection.failover.primary, reason: selection.failover.reason ?? null },
              }),
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
        let deferred: RunReport['deferred'];
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
            ...(deferred ? { deferred } : {}),
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
            // Maintenance windows (hook): checked before every step, as a long run can cross a window's end.
            const deferral =
              direction === 'up' && runOptions.beforeStep
                ? await runOptions.beforeStep(queue[0]!.source, { dialect: active.name, dryRun, ...(signal ? { signal } : {}) })
                : undefined;
            if (deferral) {
              deferred = { ...deferral, code: 'STRATA_DEFERRED', migrationId: queue[0]!.id };
              const write: StateWrite = {
                kind: 'event',
                event: event({
                  action: 'deferred',
                  outcome: 'skipped',
                  migrationId: queue[0]!.id,
                  backupId: backupId ?? null,
                  errorCode: 'STRATA_DEFERRED',
                  errorMessage: deferral.message.slice(0, 2000),
                  details: { runId, window: deferral.window, opensAt: deferral.opensAt, ...(deferral.details ?? {}) },
                }),
              };
              if (context.deferredWrites) context.deferredWrites.push(write);
              else if (!dryRun) await session.writeState([write]);
              break;
            }
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
                          details: {
                            runId,
                            attempt: retry.attempt,
                            retries: retry.retries,
                            retryInMs: retry.delayMs,
                            blockers: (retry.error.details.blockers as unknown) ?? null,
                          },
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
          if (isInterrupt(failure) && !dryRun)
            failure = await describeInterruption(failure as StrataError, session, direction, runIds, current?.id);
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
      },
      dryRun,
      early,
    );
  };

  return { run, rebuildProblems, checkSteps, checkOtherDialects };
}
