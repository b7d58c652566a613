import type { Dialect, DialectCapabilities, DialectSession } from '../dialect.js';
import { StrataError, type StrataErrorCode, toStrataError } from '../errors.js';
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
const KEEP_CODE = new Set<StrataErrorCode>(['STRATA_DDL_LOCK_TIMEOUT', 'STRATA_LOCK_TIMEOUT', 'STRATA_CONNECTION_FAILED', 'STRATA_INTERRUPTED']);

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
  // Without transactional DDL a failed migration can leave part of its DDL behind: run it the
  // honest way, with a `running` row first and `failed` (needs repair) when it breaks.
  if (!migration.transaction || !context.capabilities.supportsTransactionalDdl) {
    if (context.dryRun || context.dryRunStopped) {
      context.dryRunStopped = true;
      return { outcome: 'skipped', reason: 'runs outside a transaction: not run in a dry run (nor anything after it)' };
    }
    const durationMs = await runOutsideTransaction(context, migration, direction, body, lock);
    return { outcome: done, durationMs };
  }
  if (context.dryRunStopped) return { outcome: 'skipped', reason: 'follows a non-transactional migration in a dry run' };

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
      else await body(context.migrationContext(migration));
      durationMs = Math.round(performance.now() - started);
      context.deferredWrites.push(...writes(durationMs));
    } else if (typeof body === 'string' && session.applyScript) {
      const started = performance.now();
      const recorded = await session.applyScript(body, writes(-1), ownTransaction);
      // A dialect that measured the script returns what it recorded; otherwise the round trip's time.
      durationMs = typeof recorded === 'number' ? recorded : Math.round(performance.now() - started);
    } else {
      if (ownTransaction) await session.begin();
      const started = performance.now();
      if (typeof body === 'string') await session.execute(body);
      else await body(context.migrationContext(migration));
      durationMs = Math.round(performance.now() - started);
      await session.writeState(writes(durationMs));
      if (ownTransaction) await session.commit();
    }
  } catch (error) {
    if (ownTransaction) await session.rollback();
    throw stepFailure(error, migration, direction, sectionLine, true);
  }
  if (!ownTransaction && !context.single) {
    await session.commit();
    lock.inTransaction = false;
  }
  return { outcome: done, durationMs };
}

function finalWrites(context: StepContext, migration: LoadedMigration, direction: 'up' | 'down', ms: number): StateWrite[] {
  if (direction === 'up') {
    return [
      { kind: 'upsert', row: context.stateRow(migration, 'applied', ms) },
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
): Promise<number> {
  const { session, dialect } = context;
  const sectionLine = (direction === 'up' ? migration.body!.upLine : migration.body!.downLine) ?? 1;
  const statements = typeof body === 'string' ? await dialect.splitStatements(body) : undefined;
  // The `running` row is committed before the first statement, so a crash leaves a trace.
  await session.writeState([{ kind: 'upsert', row: context.stateRow(migration, 'running', 0) }]);
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
            details: { ...failure.details, statement: statement.index, line: statement.line + ((failure.details.line as number | undefined) ?? 1) - 1 },
          });
        }
      }
    } else {
      await (body as Exclude<MigrationBody, string>)(context.migrationContext(migration));
    }
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
  await inTransaction(session, finalWrites(context, migration, direction, durationMs));
  return durationMs;
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
      ? [migration.file, `line ${callLine}`, callSite ? `${callSite} call${statement !== undefined ? `, statement ${statement} of its SQL` : ''}` : undefined]
      : [migration.file, statement !== undefined ? `statement ${statement}` : undefined, line !== undefined ? `line ${line}` : undefined]
  )
    .filter(Boolean)
    .join(', ');
  const code: StrataErrorCode = KEEP_CODE.has(cause.code) ? cause.code : 'STRATA_MIGRATION_FAILED';
  const what = direction === 'up' ? `Migration ${migration.id}` : `Revert of ${migration.id}`;
  const reason = cause.message.replace(STATEMENT_PREFIX, '');
  // A dialect's hint is kept for errors with their own exit class (DDL lock timeout, lost
  // connection); for a failing statement the useful next step is about the migration.
  const ownHint = KEEP_CODE.has(cause.code) ? cause.hint : undefined;
  const hint = transactional
    ? ownHint ??
      (direction === 'up'
        ? `Nothing of ${migration.id} was applied (its transaction was rolled back); fix ${migration.file ?? 'it'}${line !== undefined ? ` at line ${line}` : ''} and run the command again`
        : revertHint(migration, line))
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
