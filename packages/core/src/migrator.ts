import type { DialectCapabilities } from './dialect.js';
import { StrataError } from './errors.js';
import { checkMigrationFiles } from './internal/check-files.js';
import { problemsError } from './internal/problems-error.js';
import type {
  BaselineOptions,
  BaselineReport,
  DownOptions,
  Migrator,
  MigratorOptions,
  PlanReport,
  PlanRequest,
  RepairOptions,
  RepairReport,
  StatusReport,
  UpOptions,
  ValidateOptions,
  ValidationReport,
} from './migrator-types.js';
import { type PlanTarget } from './planner.js';
import { CHECKSUM_ALGORITHM, type StateWrite } from './state.js';
import { compareVersions, parseVersion } from './version.js';
import { applyRow, stillRunning, splitId, planRepair } from './internal/migrator-helpers.js';
import { createEngine, DEFAULT_LOCK_TIMEOUT_MS } from './internal/migrator-engine.js';
import { createRunner } from './internal/migrator-run.js';

export { DEFAULT_LOCK_TIMEOUT_MS };
export type { LockState } from './internal/migrator-helpers.js';
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
  const engine = createEngine(options);
  const {
    dialect,
    actor,
    toolVersion,
    select,
    load,
    connectEarly,
    defaultModule,
    offlineProblems,
    planFor,
    event,
    withReadSession,
    withLock,
    report,
  } = engine;
  const { run, rebuildProblems, checkSteps, checkOtherDialects } = createRunner(engine);

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
        const problems = [
          ...offlineProblems(loaded),
          ...(await checkMigrationFiles(dialect, loaded.migrations)),
          ...(await checkOtherDialects(loaded, validateOptions)),
        ];
        return {
          dialect: dialect.name,
          target: dialect.target,
          offline: true,
          ok: problems.length === 0,
          checked: loaded.migrations.length,
          problems,
        };
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
      const problems = [
        ...plan.problems,
        ...(await checkMigrationFiles(selection.dialect, loaded.migrations)),
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

    up: (upOptions: UpOptions = {}) => run('up', { direction: 'up', ...(upOptions.to ? { to: upOptions.to } : {}) }, upOptions),

    down: (downOptions: DownOptions = {}) => {
      if (downOptions.steps !== undefined && (!Number.isInteger(downOptions.steps) || downOptions.steps < 1)) {
        throw new StrataError('STRATA_USAGE', `--steps must be a positive whole number, not ${downOptions.steps}`);
      }
      return run(
        'down',
        {
          direction: 'down',
          ...(downOptions.to ? { to: downOptions.to } : {}),
          ...(downOptions.steps ? { steps: downOptions.steps } : {}),
        },
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
                details: {
                  repair: action.kind,
                  detail: action.detail,
                  ...(row ? { previousChecksum: row.checksum, previousStatus: row.status } : {}),
                },
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
            writes.push({
              kind: 'event',
              event: event({
                action: 'baseline',
                outcome: 'ok',
                migrationId: migration.id,
                details: { baseline: `${module}@${target.text}` },
              }),
            });
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

export type { DialectCapabilities };
