import type { Dialect, DialectCapabilities, DialectSession } from '../dialect.js';
import { isStrataError, StrataError, type StrataErrorCode, toStrataError } from '../errors.js';
import type { MigrationBody, MigrationContext } from '../migration.js';
import type { StepOutcome } from '../migrator-types.js';
import type { EventRecord, MigrationStatus, StateRow, StateWrite } from '../state.js';
import type { LoadedMigration } from './load-migrations.js';
import { thrownFromLine } from './script-context.js';

/** What a step needs from its run. */
export interface StepContext {
  session: DialectSession;
  dialect: Dialect;
  capabilities: DialectCapabilities;
  /** The whole plan runs in one transaction (single-transaction or dry run). */
  single: boolean;
  dryRun: boolean;
  stateRow(migration: LoadedMigration, status: MigrationStatus, executionMs: number): StateRow;
  event(fields: Partial<EventRecord> & Pick<EventRecord, 'action' | 'outcome'>): EventRecord;
  /** The context a script migration's up/down gets (calls point errors at their line of `migration.file`). */
  migrationContext(migration: LoadedMigration): MigrationContext;
  /** Set once a dry run meets a non-transactional step: the rest is listed, not run. */
  dryRunStopped?: boolean;
  /**
   * Single-transaction runs: state writes wait here and are written in one batch before the
   * commit. Same transaction, same atomicity; the state statements are compiled once instead of
   * after every migration's DDL (SQLite re-prepares statements after each schema change).
   */
  deferredWrites?: StateWrite[];
}

interface LockState {
  inTransaction: boolean;
}

/** Codes that keep their own exit class when they happen inside a migration. */
const KEEP_CODE = new Set<StrataErrorCode>([
  'STRATA_DDL_LOCK_TIMEOUT',
  'STRATA_LOCK_TIMEOUT',
  'STRATA_CONNECTION_FAILED',
  'STRATA_INTERRUPTED',
  'STRATA_LOCK_LOST',
  'STRATA_UNSTABLE_SESSION',
]);
/** Codes of a check that refused to start a step: nothing of the step ran. */
const REFUSED_BEFORE_STEP = new Set<StrataErrorCode>(['STRATA_LOCK_LOST', 'STRATA_UNSTABLE_SESSION']);

/**
 * Runs one migration (up or down) with its state row and event. A transactional step commits
 * them together (or, inside a single-transaction run, leaves the commit to the run); a
 * non-transactional step commits a `running` row first and marks the result after.
 */
export async function runStep(
  context: StepContext,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  lock: LockState,
): Promise<{ outcome: StepOutcome; reason?: string; durationMs?: number }> {
  const body = direction === 'up' ? migration.body?.up : migration.body?.down;
  if (body === undefined || migration.body === undefined) {
    throw new StrataError('STRATA_INTERNAL', `Migration ${migration.id} has no ${direction} body at run time`);
  }
  const done: StepOutcome = direction === 'up' ? 'applied' : 'reverted';
  const foreignKeysOff = migration.body.foreignKeys === false && context.session.checkForeignKeys !== undefined;
  const refuseHazards = () =>
    !foreignKeysOff && typeof body === 'string' ? refuseRebuildHazards(context.session, migration, direction, body) : undefined;
  // Without transactional DDL a failed migration can leave part of its DDL behind: run it the
  // honest way, with a `running` row first and `failed` (needs repair) when it breaks.
  if (!migration.transaction || !context.capabilities.supportsTransactionalDdl) {
    if (context.dryRun || context.dryRunStopped) {
      context.dryRunStopped = true;
      return { outcome: 'skipped', reason: 'runs outside a transaction: not run in a dry run (nor anything after it)' };
    }
    await refuseHazards();
    const durationMs = await runOutsideTransaction(context, migration, direction, body, lock, foreignKeysOff);
    return { outcome: done, durationMs };
  }
  if (context.dryRunStopped) return { outcome: 'skipped', reason: 'follows a non-transactional migration in a dry run' };
  await refuseHazards();

  const { session } = context;
  const ownTransaction = !lock.inTransaction;
  const writes = (ms: number): StateWrite[] => finalWrites(context, migration, direction, ms);
  const sectionLine = (direction === 'up' ? migration.body.upLine : migration.body.downLine) ?? 1;
  // The step's duration is the time its body took, the number its state row and event record
  // (not begin, state writes or commit): `up` and `history` show the same number.
  let durationMs: number | undefined;
  try {
    if (context.deferredWrites && !ownTransaction) {
      const started = performance.now();
      if (typeof body === 'string') await session.execute(body);
      else await runScript(session, body, context, migration);
      if (foreignKeysOff) await checkForeignKeys(session);
      durationMs = Math.round(performance.now() - started);
      context.deferredWrites.push(...writes(durationMs));
    } else if (typeof body === 'string' && session.applyScript && !foreignKeysOff) {
      const started = performance.now();
      const recorded = await session.applyScript(body, writes(-1), ownTransaction);
      // A dialect that measured the script returns what it recorded; otherwise the round trip's time.
      durationMs = typeof recorded === 'number' ? recorded : Math.round(performance.now() - started);
    } else {
      if (ownTransaction) await session.begin();
      const started = performance.now();
      if (typeof body === 'string') await session.execute(body);
      else await runScript(session, body, context, migration);
      // Foreign keys were off: prove the rebuild left every reference whole before COMMIT.
      if (foreignKeysOff) await checkForeignKeys(session);
      durationMs = Math.round(performance.now() - started);
      await session.writeState(writes(durationMs));
      if (ownTransaction) await session.commit();
    }
  } catch (error) {
    if (error instanceof TransactionEnded) {
      lock.inTransaction = false;
      throw await recordEndedTransaction(context, migration, direction);
    }
    if (ownTransaction) await session.rollback();
    // The connection broke during the COMMIT and the dialect read the outcome back: it committed.
    if (error instanceof Error && isStrataError(error) && error.details.commitOutcome === 'committed') {
      throw new StrataError(
        error.code,
        `${direction === 'up' ? 'Migration' : 'Revert of'} ${migration.id} committed, then the run stopped: ${error.message}`,
        {
          ...(error.hint ? { hint: error.hint } : {}),
          cause: error,
          details: { ...error.details, migrationId: migration.id, ...(migration.file ? { file: migration.file } : {}), recorded: true },
        },
      );
    }
    throw stepFailure(error, migration, direction, sectionLine, true);
  }
  if (!ownTransaction && !context.single) {
    await session.commit();
    lock.inTransaction = false;
  }
  return { outcome: done, durationMs };
}

function finalWrites(
  context: StepContext,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  ms: number,
  replacesRunningRow = false,
): StateWrite[] {
  if (direction === 'up') {
    // An insert, never an upsert: a second apply of the same migration fails on the primary key.
    // Only a non-transactional step replaces its own `running` row (itself inserted, not upserted).
    return [
      { kind: replacesRunningRow ? 'upsert' : 'insert', row: context.stateRow(migration, 'applied', ms) },
      { kind: 'event', event: context.event({ action: 'apply', outcome: 'ok', migrationId: migration.id, durationMs: ms }) },
    ];
  }
  return [
    { kind: 'delete', module: migration.module, version: migration.version.text },
    { kind: 'event', event: context.event({ action: 'revert', outcome: 'ok', migrationId: migration.id, durationMs: ms }) },
  ];
}

async function runOutsideTransaction(
  context: StepContext,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  body: MigrationBody,
  lock: LockState,
  foreignKeysOff: boolean,
): Promise<number> {
  const { session, dialect } = context;
  const sectionLine = (direction === 'up' ? migration.body!.upLine : migration.body!.downLine) ?? 1;
  const statements = typeof body === 'string' ? await dialect.splitStatements(body) : undefined;
  // The `running` row is committed before the first statement, so a crash leaves a trace.
  // An insert for an apply: fails, before anything runs, when another run recorded it meanwhile.
  const runningRow = context.stateRow(migration, 'running', 0);
  await session.writeState([direction === 'up' ? { kind: 'insert', row: runningRow } : { kind: 'upsert', row: runningRow }]);
  if (lock.inTransaction) {
    await session.commit();
    lock.inTransaction = false;
  }
  const started = performance.now();
  try {
    if (statements) {
      for (const statement of statements) {
        try {
          await session.execute(statement.text);
        } catch (error) {
          const failure = toStrataError(error, 'STRATA_SQL_ERROR');
          throw new StrataError(failure.code, failure.message, {
            ...(failure.hint ? { hint: failure.hint } : {}),
            cause: failure.cause ?? failure,
            details: {
              ...failure.details,
              statement: statement.index,
              line: statement.line + ((failure.details.line as number | undefined) ?? 1) - 1,
            },
          });
        }
      }
    } else {
      await (body as Exclude<MigrationBody, string>)(context.migrationContext(migration));
    }
    if (foreignKeysOff) await checkForeignKeys(session);
  } catch (error) {
    const failure = stepFailure(error, migration, direction, sectionLine, false);
    const ms = Math.round(performance.now() - started);
    await inTransaction(session, [
      { kind: 'upsert', row: context.stateRow(migration, 'failed', ms) },
      {
        kind: 'event',
        event: context.event({
          action: direction === 'up' ? 'apply' : 'revert',
          outcome: 'failed',
          migrationId: migration.id,
          durationMs: ms,
          errorCode: failure.code,
          errorMessage: failure.message.slice(0, 2000),
          sqlState: (failure.details.sqlState as string | undefined) ?? null,
        }),
      },
    ]).catch(() => {});
    failure.details.recorded = true;
    throw failure;
  }
  const durationMs = Math.round(performance.now() - started);
  await inTransaction(session, finalWrites(context, migration, direction, durationMs, true));
  return durationMs;
}

/** A transactional script's function returned with strata's transaction no longer open. */
class TransactionEnded extends Error {}

/** Runs a script migration's function in strata's transaction, and checks that the transaction is still open after it. */
async function runScript(
  session: DialectSession,
  body: Exclude<MigrationBody, string>,
  context: StepContext,
  migration: LoadedMigration,
): Promise<void> {
  await body(context.migrationContext(migration));
  if (session.inTransaction && !(await session.inTransaction())) throw new TransactionEnded();
}

/**
 * A script ran COMMIT or ROLLBACK itself: part or all of its work (and, in a single-transaction
 * run, of the migrations before it) may be committed without a state row. Say so, and record every
 * migration concerned as `failed` so status, up and the error all point to repair.
 */
async function recordEndedTransaction(context: StepContext, migration: LoadedMigration, direction: 'up' | 'down'): Promise<StrataError> {
  const earlier = (context.deferredWrites?.splice(0) ?? []).flatMap((write) =>
    write.kind === 'upsert' || write.kind === 'insert' ? [write.row] : [],
  );
  const failedIds = [...earlier.map((row) => `${row.module}@${row.version}`), migration.id];
  const what = direction === 'up' ? `Migration ${migration.id}` : `Revert of ${migration.id}`;
  const message = `${what} (${migration.file ?? 'no file'}) ended strata's transaction itself (a COMMIT or ROLLBACK in its code): what it ran after that point is committed, and what it ran before is committed unless it rolled back; strata recorded ${failedIds.length === 1 ? 'it' : failedIds.join(', ')} as failed`;
  const error = new StrataError('STRATA_MIGRATION_FAILED', message, {
    hint: `Check the database, then run \`strata repair\` (drop the failed row${failedIds.length === 1 ? '' : 's'}, or --mark-applied ${failedIds[0]}); a migration that manages its own transactions must say transaction: false`,
    details: { migrationId: migration.id, ...(migration.file ? { file: migration.file } : {}), transactionEnded: true, failed: failedIds },
  });
  const writes: StateWrite[] = [
    ...earlier.map((row): StateWrite => ({ kind: 'upsert', row: { ...row, status: 'failed' } })),
    { kind: 'upsert', row: context.stateRow(migration, 'failed', 0) },
    {
      kind: 'event',
      event: context.event({
        action: direction === 'up' ? 'apply' : 'revert',
        outcome: 'failed',
        migrationId: migration.id,
        errorCode: error.code,
        errorMessage: message.slice(0, 2000),
        details: { transactionEnded: true, failed: failedIds },
      }),
    },
  ];
  // A script that began a new transaction after its COMMIT leaves it open: end it first.
  await context.session.rollback();
  error.details.recorded = await inTransaction(context.session, writes).then(
    () => true,
    () => false,
  );
  return error;
}

/** Refuses a migration that would delete or blank child rows through cascading foreign keys. */
async function refuseRebuildHazards(
  session: DialectSession,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  script: string,
): Promise<void> {
  const error = await rebuildHazardError(session, migration, direction, script);
  if (error) throw error;
}

/**
 * The refusal of a SQL migration (not marked foreign-keys off) that would delete or blank child
 * rows through cascading foreign keys, from the schema as it is now; undefined when it is safe or
 * the dialect cannot tell. The migrator asks for every step under the lock before the first runs,
 * and again right before each step (a table created earlier in the run counts too).
 */
export async function rebuildHazardError(
  session: DialectSession,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  script: string,
): Promise<StrataError | undefined> {
  const hazards = await session.findRebuildHazards?.(script);
  const first = hazards?.[0];
  if (!first) return undefined;
  const sectionLine = (direction === 'up' ? migration.body!.upLine : migration.body!.downLine) ?? 1;
  const line = sectionLine + first.line - 1;
  const where = [migration.file, `statement ${first.statement}`, `line ${line}`].filter(Boolean).join(', ');
  return new StrataError(
    'STRATA_UNSAFE_REBUILD',
    `${direction === 'up' ? 'Migration' : 'Revert of'} ${migration.id} (${where}) would delete or blank rows with foreign keys on: ${first.action} is referenced by ${first.references.join(', ')}`,
    {
      hint: `For a table rebuild, put \`-- strata:foreign-keys off\` at the top of the file: strata then runs it with foreign keys off and checks every foreign key before COMMIT (https://www.sqlite.org/lang_altertable.html#otheralter). Nothing of ${migration.id} was run`,
      details: {
        migrationId: migration.id,
        ...(migration.file ? { file: migration.file } : {}),
        statement: first.statement,
        line,
        hazards,
      },
    },
  );
}

/** Fails (so the transaction rolls back) when a migration run with foreign keys off left a dangling reference. */
async function checkForeignKeys(session: DialectSession): Promise<void> {
  const result = await session.checkForeignKeys!();
  if (result.count === 0) return;
  throw new StrataError(
    'STRATA_FOREIGN_KEY_VIOLATION',
    `foreign_key_check found ${result.count} row${result.count === 1 ? '' : 's'} with a dangling reference after the migration ran with foreign keys off: ${result.sample.join(', ')}${result.count > result.sample.length ? ', …' : ''}`,
    { details: { foreignKeyViolations: result.count } },
  );
}

async function inTransaction(session: DialectSession, writes: StateWrite[]): Promise<void> {
  await session.begin();
  try {
    await session.writeState(writes);
    await session.commit();
  } catch (error) {
    await session.rollback();
    throw error;
  }
}

const STATEMENT_PREFIX = /^Statement \d+ \(line \d+\) failed: /;

/** The error of a failed step: names the migration, file, statement and line; keeps SQLSTATE and cause. */
export function stepFailure(
  error: unknown,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  sectionLine: number,
  transactional: boolean,
): StrataError {
  const cause = toStrataError(error, 'STRATA_SQL_ERROR');
  const statement = cause.details.statement as number | undefined;
  const scriptLine = cause.details.line as number | undefined;
  // A script migration: the line of the failing execute/query call (or throw) in its file.
  const callSite = cause.details.callSite as string | undefined;
  const callLine = (cause.details.callLine as number | undefined) ?? thrownFromLine(error, migration.file);
  const line = callLine ?? (scriptLine === undefined ? undefined : sectionLine + scriptLine - 1);
  const where = (
    callLine !== undefined
      ? [
          migration.file,
          `line ${callLine}`,
          callSite ? `${callSite} call${statement !== undefined ? `, statement ${statement} of its SQL` : ''}` : undefined,
        ]
      : [migration.file, statement !== undefined ? `statement ${statement}` : undefined, line !== undefined ? `line ${line}` : undefined]
  )
    .filter(Boolean)
    .join(', ');
  const code: StrataErrorCode = KEEP_CODE.has(cause.code) ? cause.code : 'STRATA_MIGRATION_FAILED';
  const what = direction === 'up' ? `Migration ${migration.id}` : `Revert of ${migration.id}`;
  const reason = cause.message.replace(STATEMENT_PREFIX, '');
  if (REFUSED_BEFORE_STEP.has(cause.code) && cause.details.stepRefused === true) {
    return new StrataError(cause.code, `Stopped before ${direction === 'up' ? 'applying' : 'reverting'} ${migration.id}: ${reason}`, {
      ...(cause.hint ? { hint: cause.hint } : {}),
      cause: cause.cause ?? cause,
      details: { ...cause.details, migrationId: migration.id, ...(migration.file ? { file: migration.file } : {}) },
    });
  }
  // A dialect's hint is kept for errors with their own exit class (DDL lock timeout, lost
  // connection); for a failing statement the useful next step is about the migration.
  const ownHint = KEEP_CODE.has(cause.code) ? cause.hint : undefined;
  const hint = transactional
    ? (ownHint ??
      (direction === 'up'
        ? `Nothing of ${migration.id} was applied (its transaction was rolled back); fix ${migration.file ?? 'it'}${line !== undefined ? ` at line ${line}` : ''} and run the command again`
        : revertHint(migration, line)))
    : `${migration.id} ran outside a transaction and is now marked failed: check the database, then run \`strata repair\` (drop the failed row or --mark-applied ${migration.id})`;
  return new StrataError(code, `${what} failed${where ? ` (${where})` : ''}: ${reason}`, {
    hint,
    cause: cause.cause ?? cause,
    details: {
      ...cause.details,
      migrationId: migration.id,
      ...(migration.file ? { file: migration.file } : {}),
      ...(statement !== undefined ? { statement } : {}),
      ...(line !== undefined ? { line } : {}),
    },
  });
}

/**
 * A failed down: the migration is still applied, so its file is checksummed as applied and an
 * edit makes every later command refuse with a checksum mismatch. Say so, and what to do instead.
 */
function revertHint(migration: LoadedMigration, line: number | undefined): string {
  const where = `${migration.file ?? migration.id}${line !== undefined ? ` (line ${line})` : ''}`;
  return (
    `Nothing of ${migration.id} was reverted (its transaction was rolled back) and it is still applied. ` +
    'Fix what in the database makes its down fail and run the command again; if the down itself is wrong, an applied file cannot change unnoticed: ' +
    `edit ${where}, then record the new text with \`strata repair --accept-checksum ${migration.id}\` before reverting`
  );
}
