import { parseMigrationId } from './migration.js';
import type { Problem } from './problem.js';
import { CHECKSUM_ALGORITHM, type StateRow } from './state.js';
import { applicationOrder, orderMigrations, previousVersion } from './internal/plan-order.js';
import { compareVersions, parseVersion, type Version } from './version.js';

export type { MigrationState, PlannableMigration, Plan, PlanOptions, PlanStep, PlanTarget, StatusEntry } from './plan-types.js';
import type { Plan, PlannableMigration, PlanOptions, PlanStep, PlanTarget, StatusEntry } from './plan-types.js';

/**
 * Plans a run — a pure function of the migrations, the state rows and the target. It diffs the
 * full sets (never a high-water mark) and reports every problem; apply order is a topological
 * order of the dependency graph with ties broken by (module, version); revert order is its reverse.
 * O(n log n).
 */
export function createPlan(
  available: readonly PlannableMigration[] | PreparedMigrations,
  state: readonly StateRow[],
  target: PlanTarget = { direction: 'none' },
  options: PlanOptions = {},
): Plan {
  const prepared = available instanceof PreparedMigrations ? available : prepareMigrations(available);
  const { byId, order } = prepared;
  const problems: Problem[] = [...prepared.problems];
  const rows = new Map<string, StateRow>();
  for (const row of state) rows.set(`${row.module}@${row.version}`, row);

  const entries: StatusEntry[] = [];
  const newestApplied = new Map<string, Version>();
  for (const row of state) {
    if (row.status !== 'applied') continue;
    const version = byId.get(`${row.module}@${row.version}`)?.version ?? safeVersion(row.version);
    if (!version) continue;
    const current = newestApplied.get(row.module);
    if (!current || compareVersions(version, current) > 0) newestApplied.set(row.module, version);
  }

  for (const migration of order) {
    const row = rows.get(migration.id);
    const entry: StatusEntry = {
      id: migration.id,
      module: migration.module,
      version: migration.version.text,
      name: migration.name,
      state: 'pending',
      file: migration.file,
      appliedAt: row?.appliedAt,
      checksum: migration.checksum,
      appliedChecksum: row?.checksum,
    };
    if (row) {
      if (row.status === 'failed' || row.status === 'running') {
        entry.state = row.status;
        problems.push(needsRepair(migration.id, row.status, migration.file));
      } else if (migration.checksum !== undefined && (row.checksum !== migration.checksum || row.checksumAlgo !== CHECKSUM_ALGORITHM)) {
        entry.state = 'changed';
        problems.push({
          code: 'STRATA_CHECKSUM_MISMATCH',
          message:
            row.checksumAlgo !== CHECKSUM_ALGORITHM
              ? `Checksum of ${migration.id} was recorded with unknown algorithm ${row.checksumAlgo}`
              : `Checksum mismatch for ${migration.id} (${migration.file ?? 'no file'}): applied ${row.checksum}, file now ${migration.checksum}`,
          hint: `Restore the applied text of ${migration.file ?? migration.id}; if the change is intended, run \`strata repair --accept-checksum ${migration.id}\``,
          migrationId: migration.id,
          ...(migration.file ? { file: migration.file } : {}),
          details: { applied: row.checksum, current: migration.checksum, appliedAlgorithm: row.checksumAlgo },
        });
      } else {
        entry.state = 'applied';
      }
    } else {
      const newest = newestApplied.get(migration.module);
      if (newest && compareVersions(migration.version, newest) < 0 && !options.allowOutOfOrder) {
        problems.push({
          code: 'STRATA_OUT_OF_ORDER',
          message: `Pending migration ${migration.id} is older than ${migration.module}@${newest.text}, which is already applied`,
          hint: 'Give it a version above the newest applied one, or run with --allow-out-of-order',
          migrationId: migration.id,
          ...(migration.file ? { file: migration.file } : {}),
        });
      }
    }
    entries.push(entry);
  }
  const missing: StateRow[] = [];
  let configuredModules: Set<string> | undefined;
  for (const row of state) {
    const id = `${row.module}@${row.version}`;
    if (byId.has(id)) continue;
    missing.push(row);
    entries.push({
      id,
      module: row.module,
      version: row.version,
      name: row.name,
      state: row.status === 'applied' ? 'missing' : row.status,
      file: undefined,
      appliedAt: row.appliedAt,
      checksum: undefined,
      appliedChecksum: row.checksum,
    });
    configuredModules ??= new Set(
      [...byId.values()]
        .map((m) => m.module)
        .concat([...(options.otherDialectIds ?? [])].map((other) => other.slice(0, other.lastIndexOf('@')))),
    );
    problems.push(
      row.status !== 'applied'
        ? needsRepair(id, row.status, undefined)
        : configuredModules.has(row.module)
          ? {
              code: 'STRATA_MISSING_MIGRATION',
              message: `Applied migration ${id} (${row.name}) has no source any more`,
              hint: `Restore its file; if it was removed on purpose, run \`strata repair --forget ${id}\``,
              migrationId: id,
            }
          : {
              // Most often the module is simply not part of this command's sources.
              code: 'STRATA_MISSING_MIGRATION',
              message: `Applied migration ${id} (${row.name}) belongs to module ${row.module}, which is not configured`,
              hint: `Include module ${row.module}: --modules <package> (e.g. --modules @strata/core-schema) or the config's \`modules\` / \`migrations: { ${row.module}: './folder' }\`; only if the module was removed on purpose, run \`strata repair --forget ${id}\``,
              migrationId: id,
              details: { module: row.module, moduleConfigured: false },
            },
    );
  }

  let steps: PlanStep[] = [];
  if (target.direction === 'up') {
    steps = planUp(order, rows, byId, target.to, options, problems);
  } else if (target.direction === 'down') {
    steps = planDown(order, rows, byId, missing, target, options, problems);
  }
  return { steps, problems, entries };
}

/**
 * The part of a plan that depends only on the migrations: duplicates found, the apply order, and
 * the problems of the dependency graph. A migrator plans twice per run (before connecting, and
 * under the lock with the state read there), so it prepares once and passes this to createPlan.
 */
export class PreparedMigrations {
  /** @internal */
  constructor(
    readonly byId: ReadonlyMap<string, PlannableMigration>,
    readonly order: readonly PlannableMigration[],
    readonly problems: readonly Problem[],
  ) {}
}

/** Checks for duplicate ids and orders the migrations once; see {@link PreparedMigrations}. */
export function prepareMigrations(available: readonly PlannableMigration[]): PreparedMigrations {
  const problems: Problem[] = [];
  const byId = new Map<string, PlannableMigration>();
  for (const migration of available) {
    if (byId.has(migration.id)) {
      const first = byId.get(migration.id)!;
      problems.push({
        code: 'STRATA_DUPLICATE_VERSION',
        message: `Duplicate migration ${migration.id}: ${first.file ?? '?'} and ${migration.file ?? '?'}`,
        hint: 'Give one of them the next free version',
        migrationId: migration.id,
        ...(migration.file ? { file: migration.file } : {}),
      });
      continue;
    }
    byId.set(migration.id, migration);
  }
  const order = orderMigrations([...byId.values()], byId, problems);
  return new PreparedMigrations(byId, order, problems);
}

function needsRepair(id: string, status: string, file: string | undefined): Problem {
  return {
    code: 'STRATA_NEEDS_REPAIR',
    message: `Migration ${id} is marked ${status} by an earlier run that did not finish`,
    hint: `Check the database by hand, then run \`strata repair\` (drop the ${status} row, or --mark-applied ${id})`,
    migrationId: id,
    ...(file ? { file } : {}),
  };
}

function safeVersion(text: string): Version | undefined {
  try {
    return parseVersion(text);
  } catch {
    return undefined;
  }
}

function resolveTarget(text: string, options: PlanOptions, problems: Problem[]): { module: string; version: Version } | undefined {
  try {
    const parsed = parseMigrationId(text, options.defaultModule);
    return { module: parsed.module, version: parseVersion(parsed.version) };
  } catch (error) {
    problems.push({
      code: 'STRATA_UNKNOWN_TARGET',
      message: `Invalid target ${JSON.stringify(text)}: ${(error as Error).message}`,
      hint: 'Name the target as module@version (e.g. core@1.1.0), or a bare version when there is one module',
    });
    return undefined;
  }
}

function planUp(
  order: readonly PlannableMigration[],
  rows: Map<string, StateRow>,
  byId: ReadonlyMap<string, PlannableMigration>,
  to: string | undefined,
  options: PlanOptions,
  problems: Problem[],
): PlanStep[] {
  const pending = order.filter((m) => !rows.has(m.id));
  let selected: Set<string>;
  if (to === undefined) {
    selected = new Set(pending.map((m) => m.id));
  } else {
    const target = resolveTarget(to, options, problems);
    if (!target) return [];
    const targetId = `${target.module}@${target.version.text}`;
    if (!byId.has(targetId) && !options.otherDialectIds?.has(targetId)) {
      problems.push({
        code: 'STRATA_UNKNOWN_TARGET',
        message: `Target ${targetId} is not a known migration`,
        hint: 'Run `strata status` to list the migrations',
      });
      return [];
    }
    selected = new Set();
    // Selecting a migration selects its explicit dependencies and the pending versions before it
    // in its own module (the implicit edge the order uses).
    const previousPending = new Map<string, string>();
    const lastInModule = new Map<string, string>();
    for (const m of [...pending].sort((a, b) =>
      a.module < b.module ? -1 : a.module > b.module ? 1 : compareVersions(a.version, b.version),
    )) {
      const previous = lastInModule.get(m.module);
      if (previous) previousPending.set(m.id, previous);
      lastInModule.set(m.module, m.id);
    }
    const stack = pending.filter((m) => m.module === target.module && compareVersions(m.version, target.version) <= 0).map((m) => m.id);
    while (stack.length) {
      const id = stack.pop()!;
      if (selected.has(id) || rows.has(id)) continue;
      const migration = byId.get(id);
      if (!migration) continue;
      selected.add(id);
      for (const dep of migration.dependsOn) stack.push(dep);
      const previous = previousPending.get(id);
      if (previous) stack.push(previous);
    }
  }
  const steps: PlanStep[] = [];
  for (const migration of pending) {
    if (!selected.has(migration.id)) continue;
    for (const dep of migration.dependsOn) {
      const row = rows.get(dep);
      if (byId.has(dep) && !selected.has(dep) && row?.status !== 'applied') {
        problems.push({
          code: 'STRATA_UNMET_DEPENDENCY',
          message: `Migration ${migration.id} depends on ${dep}, which is neither applied nor planned`,
          hint: `Apply ${dep} first`,
          migrationId: migration.id,
        });
      }
    }
    steps.push({ direction: 'up', migration });
  }
  return steps;
}

function planDown(
  order: readonly PlannableMigration[],
  rows: Map<string, StateRow>,
  byId: ReadonlyMap<string, PlannableMigration>,
  missing: StateRow[],
  target: { to?: string; steps?: number },
  options: PlanOptions,
  problems: Problem[],
): PlanStep[] {
  const applied = order.filter((m) => rows.get(m.id)?.status === 'applied');
  let revert: PlannableMigration[];
  if (target.to !== undefined) {
    const resolved = resolveTarget(target.to, options, problems);
    if (!resolved) return [];
    const known = order.some((m) => m.module === resolved.module) || missing.some((r) => r.module === resolved.module);
    if (!known) {
      problems.push({
        code: 'STRATA_UNKNOWN_TARGET',
        message: `Target ${target.to}: module ${resolved.module} has no migrations`,
        hint: 'Run `strata status` to list the modules and migrations',
      });
      return [];
    }
    // The target stays applied: it must be a migration (or 0.0.0, "before the first one"), never a
    // threshold that happens to fall between two versions.
    const targetId = `${resolved.module}@${resolved.version.text}`;
    const isStart = resolved.version.text === '0.0.0';
    if (!isStart && !byId.has(targetId) && !rows.has(targetId) && !options.otherDialectIds?.has(targetId)) {
      problems.push({
        code: 'STRATA_UNKNOWN_TARGET',
        message: `Target ${targetId} is not a known migration`,
        hint: `Run \`strata status\` to list the migrations; ${resolved.module}@0.0.0 reverts every migration of module ${resolved.module}`,
      });
      return [];
    }
    revert = applied.filter((m) => m.module === resolved.module && compareVersions(m.version, resolved.version) > 0);
    for (const row of missing) {
      const version = safeVersion(row.version);
      if (row.status === 'applied' && row.module === resolved.module && version && compareVersions(version, resolved.version) > 0) {
        problems.push({
          code: 'STRATA_MISSING_DOWN',
          message: `Cannot revert ${row.module}@${row.version}: its source is missing`,
          hint: 'Restore its file, or forget it with `strata repair --forget`',
          migrationId: `${row.module}@${row.version}`,
        });
      }
    }
  } else {
    // The most recently applied ones, across modules, in the order the state rows record.
    const count = target.steps ?? 1;
    revert = count > 0 ? applicationOrder(applied, rows).slice(-count) : [];
  }
  const reverting = new Set(revert.map((m) => m.id));
  for (const migration of revert) {
    if (!migration.hasDown) {
      problems.push({
        code: 'STRATA_MISSING_DOWN',
        message: `Cannot revert ${migration.id}: ${migration.file ?? 'it'} has no down section`,
        hint: 'Add a -- strata:down section (or a down function) before rolling back',
        migrationId: migration.id,
        ...(migration.file ? { file: migration.file } : {}),
      });
    }
  }
  for (const migration of applied) {
    if (reverting.has(migration.id)) continue;
    for (const dep of migration.dependsOn) {
      if (reverting.has(dep)) {
        const before = previousVersion(order, migration);
        problems.push({
          code: 'STRATA_DEPENDANT_APPLIED',
          message: `Cannot revert ${dep}: applied migration ${migration.id} depends on it`,
          hint: `Revert ${migration.id} first: \`strata down --to ${migration.module}@${before}\` reverts it and the later versions of ${migration.module}`,
          migrationId: dep,
        });
      }
    }
  }
  return revert.reverse().map((migration) => ({ direction: 'down', migration }));
}

/** The newest applied version of each module in the state rows (for manifests and hooks). */
export function newestAppliedVersions(state: readonly StateRow[]): Record<string, string> {
  const newest: Record<string, string> = {};
  for (const row of state) {
    if (row.status !== 'applied') continue;
    const version = safeVersion(row.version);
    if (!version) continue; // reported by the planner
    const current = newest[row.module];
    if (current === undefined || compareVersions(version, current) > 0) newest[row.module] = row.version;
  }
  return newest;
}
