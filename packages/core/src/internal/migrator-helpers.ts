import { hostname, userInfo } from 'node:os';
import { type Dialect, type DialectSession, type LockHolder } from '../dialect.js';
import { isStrataError, StrataError } from '../errors.js';
import { guardSession } from './guard-session.js';
import { type LoadedMigration, type LoadedMigrations } from './load-migrations.js';
import type { RepairAction, RepairOptions, StepOutcome, StepReport } from '../migrator-types.js';
import { type Plan } from '../planner.js';
import type { Problem } from '../problem.js';
import { CHECKSUM_ALGORITHM, type EventRecord, type StateRow, type StateWrite } from '../state.js';
import { compareVersions } from '../version.js';

/**
 * Dialects whose lock is the database's write lock (SQLite): the event of a lock timeout needs
 * that very lock. Try once, briefly, on a session of its own (the holder may just have let go);
 * when the lock is still held the event cannot be written and is dropped.
 */
export async function recordWithoutWaiting(d: Dialect, write: StateWrite): Promise<void> {
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
export function scrubValue(value: unknown, scrub: (text: string) => string): unknown {
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
export function addNotApplicable(plan: Plan, loaded: LoadedMigrations): void {
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
    let at = plan.entries.findIndex(
      (e) => e.module === migration.module && e.state !== 'missing' && compareVersions(e.version, migration.version) > 0,
    );
    if (at === -1) {
      const last = plan.entries.findLastIndex((e) => e.module === migration.module && e.state !== 'missing');
      at = last === -1 ? plan.entries.findIndex((e) => e.state === 'missing' || e.module > migration.module) : last + 1;
      if (at === -1) at = plan.entries.length;
    }
    plan.entries.splice(at, 0, entry);
  }
}

export function applyRow(migration: LoadedMigration, actor: string, toolVersion: string): StateRow {
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
export function stillRunning(problem: Problem, state: readonly StateRow[], holder: LockHolder): Problem {
  if (problem.code !== 'STRATA_NEEDS_REPAIR' || !problem.migrationId) return problem;
  const [module, version] = splitId(problem.migrationId);
  const row = state.find((r) => r.module === module && r.version === version);
  if (row?.status !== 'running') return problem;
  const at = row.appliedBy.lastIndexOf('@');
  const host = at >= 0 ? row.appliedBy.slice(at + 1) : (holder.host ?? holder.clientAddress);
  const where = [holder.pid !== undefined ? `pid ${holder.pid}` : undefined, host ? `on host ${host}` : undefined]
    .filter(Boolean)
    .join(' ');
  return {
    ...problem,
    code: 'STRATA_MIGRATION_RUNNING',
    message: `Migration ${problem.migrationId} is running${where ? ` in ${where}` : ''} since ${row.appliedAt} (started by ${row.appliedBy}; that run holds the migration lock)`,
    hint: 'Wait for that run to finish and check again; do not repair a migration that is still running',
    details: { ...(problem.details ?? {}), holder: { ...holder } },
  };
}

export function splitId(id: string): [string, string] {
  const at = id.lastIndexOf('@');
  return [id.slice(0, at), id.slice(at + 1)];
}

export function planRepair(options: RepairOptions, plan: Plan, state: StateRow[], loaded: LoadedMigrations): RepairAction[] {
  const actions: RepairAction[] = [];
  const entries = new Map(plan.entries.map((entry) => [entry.id, entry]));
  const wants = (list: readonly string[] | 'all' | undefined, id: string) => list === 'all' || (list?.includes(id) ?? false);
  const unknown = (list: readonly string[] | 'all' | undefined, kind: string, ok: (id: string) => boolean) => {
    if (!list || list === 'all') return;
    for (const id of list) {
      if (!ok(id)) {
        throw new StrataError(
          'STRATA_REPAIR_INVALID',
          `Cannot ${kind} ${id}: ${entries.has(id) ? `it is ${entries.get(id)!.state}` : 'no such migration'}`,
          {
            hint: "Run `strata status` to see each migration's state",
          },
        );
      }
    }
  };
  unknown(options.acceptChecksums, 'accept the checksum of', (id) => entries.get(id)?.state === 'changed');
  unknown(options.dropFailed, 'drop the failed row of', (id) => ['failed', 'running'].includes(entries.get(id)?.state ?? ''));
  unknown(options.forgetMissing, 'forget', (id) => entries.get(id)?.state === 'missing');
  unknown(
    options.markApplied,
    'mark as applied',
    (id) => entries.get(id)?.state === 'pending' || ['failed', 'running'].includes(entries.get(id)?.state ?? ''),
  );
  unknown(options.markReverted, 'mark as reverted', (id) => state.some((row) => `${row.module}@${row.version}` === id));
  for (const entry of plan.entries) {
    if (entry.state === 'changed' && wants(options.acceptChecksums, entry.id)) {
      actions.push({ kind: 'accept-checksum', id: entry.id, detail: `${entry.appliedChecksum} -> ${entry.checksum}` });
    }
    if (
      (entry.state === 'failed' || entry.state === 'running') &&
      wants(options.dropFailed, entry.id) &&
      !options.markApplied?.includes(entry.id)
    ) {
      actions.push({ kind: 'drop-failed', id: entry.id, detail: `delete the ${entry.state} row` });
    }
    if (entry.state === 'missing' && wants(options.forgetMissing, entry.id)) {
      actions.push({ kind: 'forget-missing', id: entry.id, detail: 'delete the row of a migration whose source is gone' });
    }
  }
  for (const id of options.markApplied ?? []) {
    if (!loaded.byId.get(id)?.checksum)
      throw new StrataError('STRATA_REPAIR_INVALID', `Cannot mark ${id} as applied: its source cannot be read`);
    actions.push({ kind: 'mark-applied', id, detail: 'record as applied without running it' });
  }
  for (const id of options.markReverted ?? []) {
    actions.push({ kind: 'mark-reverted', id, detail: 'delete the row without running its down' });
  }
  return actions;
}

export async function recordFailure(
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
export function failedRunSteps(
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

export function interrupted(signal: AbortSignal, cause?: unknown): StrataError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new StrataError('STRATA_INTERRUPTED', `Interrupted (${reason}): the running migration was rolled back`, {
    hint: 'Run the command again to continue from where it stopped',
    cause,
  });
}

export function isInterrupt(error: unknown): boolean {
  return isStrataError(error) && error.code === 'STRATA_INTERRUPTED';
}

/** Correlates a run's events; unique, not secret (Math.random: no node:crypto on the start-up path). */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0')}`;
}

export function defaultActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): keep $USER.
  }
  return `${user}@${safeHostname()}`;
}

export function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return 'unknown';
  }
}
