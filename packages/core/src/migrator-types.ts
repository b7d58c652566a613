import type { Dialect, FailoverInfo, LockHolder } from './dialect.js';
import type { StrataError } from './errors.js';
import type { Migration } from './migration.js';
import type { MigrationSource } from './migration-source.js';
import type { Plan, StatusEntry } from './planner.js';
import type { Problem } from './problem.js';
import type { EventQuery, EventRecord } from './state.js';

/** Options for {@link createMigrator}. */
export interface MigratorOptions {
  dialect: Dialect;
  /** Where migrations come from: folders, in-memory modules, … */
  sources: readonly MigrationSource[];
  /**
   * How long to wait for the migration lock, in milliseconds.
   * @default 60000
   */
  lockTimeoutMs?: number;
  /**
   * How many times a transactional step is retried after it failed on the database's lock
   * timeout for DDL (PostgreSQL `lock_timeout`, SQLSTATE 55P03): its transaction was rolled back,
   * so nothing changed. Waits grow exponentially from 500 ms (with jitter, at most 30 s). Steps
   * outside a transaction, and single-transaction runs, are never retried.
   * @default 3
   */
  lockRetries?: number;
  /** @default false */
  allowOutOfOrder?: boolean;
  /** Who runs the migrations, for the state and events tables. @default `<os user>@<host>` */
  actor?: string;
  /** Recorded in every state row and event. @default @strata/core's version */
  toolVersion?: string;
  /** Module used for targets given as a bare version. @default the only module, or 'app' */
  defaultModule?: string;
  hooks?: MigratorHooks;
  /** Progress: called synchronously for each {@link MigratorEvent}. */
  onEvent?: (event: MigratorEvent) => void;
  /**
   * Literal secrets (passwords) to remove from everything written to the state and events tables
   * (error messages, details), on top of URL credentials and the dialect's own
   * {@link Dialect.redact}. The CLI passes every password it knows (URLs, `PGPASSWORD`).
   * @default []
   */
  secrets?: readonly string[];
}

/** Extension points of a run. */
export interface MigratorHooks {
  /**
   * Called once a run has a non-empty plan, its problems are checked and the lock is held, before
   * the first step (not for dry runs). A throw aborts the run before anything changes: this is
   * where `@strata/backup` takes its backup. Return the backup id to have it recorded in the run's events.
   */
  beforeRun?(context: BeforeRunContext): Promise<BeforeRunResult | void> | BeforeRunResult | void;
}

export interface BeforeRunContext {
  dialect: Dialect;
  direction: 'up' | 'down';
  plan: Plan;
  runId: string;
  /** Newest applied version per module before the run. */
  versions: Record<string, string>;
  signal?: AbortSignal;
}

export interface BeforeRunResult {
  backupId?: string;
}

/** Progress of a run, for spinners and logs. */
export type MigratorEvent =
  /**
   * Waiting for the migration lock: once when the wait starts, then again (with `holder` and
   * `waitedMs`) when core learns who holds the lock and whenever the holder changes.
   */
  | { type: 'lock-wait'; target: string; holder?: LockHolder; waitedMs?: number }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'run-start'; direction: 'up' | 'down'; steps: number; dryRun: boolean; singleTransaction: boolean; runId: string }
  | { type: 'step-start'; id: string; direction: 'up' | 'down'; index: number; total: number }
  | { type: 'step-end'; id: string; direction: 'up' | 'down'; durationMs: number; outcome: StepOutcome }
  /** A step failed on the DDL lock timeout and is retried after `delayMs` (attempt n of `retries`). */
  | { type: 'step-retry'; id: string; direction: 'up' | 'down'; attempt: number; retries: number; delayMs: number; error: StrataError }
  | { type: 'replanned'; reason: string }
  | { type: 'run-end'; durationMs: number };

/**
 * How a step ended. `rolled-back`: it ran, and the one transaction of a dry run or of a failed
 * `--single-transaction` run undid it. In a failed run's error (`details.steps`): `failed` for the
 * step that failed, `not-run` for the steps after it.
 */
export type StepOutcome = 'applied' | 'reverted' | 'skipped' | 'rolled-back' | 'failed' | 'not-run';

/** Options for {@link Migrator.up}. */
export interface UpOptions {
  /** Apply up to and including this id (`core@1.1.0`, or a bare version of the default module). */
  to?: string;
  /** The whole plan in one transaction. @default false */
  singleTransaction?: boolean;
  /** Run the plan in one transaction and roll it back. @default false */
  dryRun?: boolean;
  allowOutOfOrder?: boolean;
  /** Skip the beforeRun hook (`--no-backup`). @default false */
  skipHooks?: boolean;
  signal?: AbortSignal;
  /**
   * Called before each step, before its transaction: a deferral stops the run there (the steps
   * before it stay applied), is recorded as a `deferred` event and returned in
   * {@link RunReport.deferred}. Used for maintenance windows (the CLI's windows/window-gate.ts).
   */
  beforeStep?: (
    migration: Migration,
    context: { dialect: string; dryRun: boolean; signal?: AbortSignal },
  ) => Promise<StepDeferral | undefined> | StepDeferral | undefined;
}

/** Why a run stopped before a migration (its maintenance window is closed). */
export interface StepDeferral {
  /** The window's name. */
  window: string;
  /** ISO 8601 instant when the window opens next; `null` when unknown. */
  opensAt: string | null;
  message: string;
  details?: Record<string, unknown>;
}

/** Options for {@link Migrator.down}: `to` or `steps` (1 when neither). */
export interface DownOptions {
  to?: string;
  steps?: number;
  dryRun?: boolean;
  skipHooks?: boolean;
  signal?: AbortSignal;
}

export interface StepReport {
  id: string;
  module: string;
  version: string;
  name: string;
  direction: 'up' | 'down';
  outcome: StepOutcome;
  /**
   * The time the migration's body took, as its state row and event record it (`history` shows
   * the same number): not the transaction's begin and commit nor the state writes.
   */
  durationMs: number;
  /** Why a step was skipped (dry run of a non-transactional migration). */
  reason?: string;
}

/** What a run did. */
export interface RunReport {
  /** Set when a failover dialect chose between primary and fallback. */
  failover?: FailoverInfo;
  runId: string;
  direction: 'up' | 'down';
  dialect: string;
  target: string;
  dryRun: boolean;
  singleTransaction: boolean;
  steps: StepReport[];
  durationMs: number;
  backupId: string | undefined;
  /** Set when the run stopped before `migrationId` because of {@link UpOptions.beforeStep} (exit 8). */
  deferred?: StepDeferral & { code: 'STRATA_DEFERRED'; migrationId: string };
}

/** What status found. */
export interface StatusReport {
  /** Set when a failover dialect chose between primary and fallback. */
  failover?: FailoverInfo;
  dialect: string;
  target: string;
  migrations: StatusEntry[];
  problems: Problem[];
}

export interface PlanRequest {
  direction: 'up' | 'down';
  to?: string;
  steps?: number;
  allowOutOfOrder?: boolean;
}

export interface PlannedStep {
  id: string;
  module: string;
  version: string;
  name: string;
  direction: 'up' | 'down';
  transaction: boolean;
  file: string | undefined;
  /** The SQL that would run; `undefined` for function bodies. */
  sql: string | undefined;
  /** The state-table writes that go with it, described. */
  stateWrites: string[];
}

export interface PlanReport {
  /** Set when a failover dialect chose between primary and fallback. */
  failover?: FailoverInfo;
  dialect: string;
  target: string;
  direction: 'up' | 'down';
  steps: PlannedStep[];
  problems: Problem[];
}

/** Options for {@link Migrator.validate}. */
export interface ValidateOptions {
  /**
   * Check the files alone, without connecting (CI jobs with no database): every section of every
   * migration as it is on the dialect, versions, dependencies; not checksums nor state.
   * @default false
   */
  offline?: boolean;
  /**
   * Other dialects whose files are checked too, with their own splitter (a failover's fallback,
   * or the other built-in dialect): a `.postgres.sql` file is checked as it runs on PostgreSQL
   * even when the target is SQLite. Only files that differ from the target's are checked again.
   */
  alsoCheck?: readonly Pick<Dialect, 'name' | 'splitStatements' | 'findNonTransactional'>[];
}

export interface ValidationReport {
  /** Set when a failover dialect chose between primary and fallback. */
  failover?: FailoverInfo;
  dialect: string;
  target: string;
  /** True when only the files were checked (no database: checksums and state not compared). */
  offline: boolean;
  ok: boolean;
  checked: number;
  problems: Problem[];
}

/** What {@link Migrator.repair} may do; each list takes ids or `'all'`. */
export interface RepairOptions {
  /** Accept the current checksum of changed applied migrations. */
  acceptChecksums?: readonly string[] | 'all';
  /** Delete `failed`/`running` rows (after checking the database by hand). */
  dropFailed?: readonly string[] | 'all';
  /** Delete rows of applied migrations whose source is gone. */
  forgetMissing?: readonly string[] | 'all';
  /** Record migrations as applied without running them. */
  markApplied?: readonly string[];
  /** Remove migrations' rows without running their down. */
  markReverted?: readonly string[];
  /** Only report what would be done. @default false */
  dryRun?: boolean;
}

export interface RepairAction {
  kind: 'accept-checksum' | 'drop-failed' | 'forget-missing' | 'mark-applied' | 'mark-reverted';
  id: string;
  detail: string;
}

export interface RepairReport {
  /** Set when a failover dialect chose between primary and fallback. */
  failover?: FailoverInfo;
  dialect: string;
  target: string;
  dryRun: boolean;
  actions: RepairAction[];
}

export interface BaselineOptions {
  /** Module of a bare version. */
  module?: string;
  dryRun?: boolean;
}

export interface BaselineReport {
  /** Set when a failover dialect chose between primary and fallback. */
  failover?: FailoverInfo;
  dialect: string;
  target: string;
  baselined: string[];
  dryRun: boolean;
}

/** The engine: one per target database. */
export interface Migrator {
  readonly dialect: Dialect;
  status(): Promise<StatusReport>;
  plan(request: PlanRequest): Promise<PlanReport>;
  up(options?: UpOptions): Promise<RunReport>;
  down(options?: DownOptions): Promise<RunReport>;
  /** Checks every file and, unless `offline`, the state against them; changes nothing. */
  validate(options?: ValidateOptions): Promise<ValidationReport>;
  repair(options: RepairOptions): Promise<RepairReport>;
  baseline(version: string, options?: BaselineOptions): Promise<BaselineReport>;
  history(query?: EventQuery): Promise<EventRecord[]>;
  /** Frees the dialect's resources. */
  close(): Promise<void>;
}
