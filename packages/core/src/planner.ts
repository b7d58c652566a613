import { parseMigrationId } from './migration.js';
import type { Problem } from './problem.js';
import { CHECKSUM_ALGORITHM, type StateRow } from './state.js';
import { compareVersions, parseVersion, type Version } from './version.js';

/** A migration as the planner sees it: metadata and its checksum on the target dialect. */
export interface PlannableMigration {
  id: string;
  module: string;
  version: Version;
  name: string;
  dependsOn: readonly string[];
  /** `undefined` when the body could not be resolved for this dialect (reported as a problem elsewhere). */
  checksum: string | undefined;
  hasDown: boolean;
  transaction: boolean;
  file: string | undefined;
}

/** What to plan: apply (optionally up to an id) or revert (to an id, or a number of steps). */
export type PlanTarget =
  | { direction: 'up'; to?: string }
  | { direction: 'down'; to?: string; steps?: number }
  | { direction: 'none' };

export interface PlanOptions {
  /** Apply pending migrations older than the newest applied one of their module. @default false */
  allowOutOfOrder?: boolean;
  /** Module used for a target given as a bare version. */
  defaultModule?: string;
  /** Ids of migrations that exist for other dialects only: known, so valid as `--to` targets. */
  otherDialectIds?: ReadonlySet<string>;
}

/**
 * The state of one migration as `status` shows it. `not-applicable`: the migration exists for
 * other dialects only (a dialect file with no generic file); it is never pending on this one.
 */
export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing' | 'failed' | 'running' | 'not-applicable';

export interface StatusEntry {
  id: string;
  module: string;
  version: string;
  name: string;
  state: MigrationState;
  file: string | undefined;
  appliedAt: string | undefined;
  /** Checksum of the source on this dialect. */
  checksum: string | undefined;
  /** Checksum recorded when it was applied. */
  appliedChecksum: string | undefined;
}

export interface PlanStep {
  direction: 'up' | 'down';
  migration: PlannableMigration;
}

/** The planner's answer: steps in order, problems that forbid running them, and every migration's state. */
export interface Plan {
  steps: PlanStep[];
  problems: Problem[];
  entries: StatusEntry[];
}

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
    configuredModules ??= new Set([...byId.values()].map((m) => m.module).concat([...(options.otherDialectIds ?? [])].map((other) => other.slice(0, other.lastIndexOf('@')))));
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
    for (const m of [...pending].sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : compareVersions(a.version, b.version)))) {
      const previous = lastInModule.get(m.module);
      if (previous) previousPending.set(m.id, previous);
      lastInModule.set(m.module, m.id);
    }
    const stack = pending
      .filter((m) => m.module === target.module && compareVersions(m.version, target.version) <= 0)
      .map((m) => m.id);
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

/**
 * Applied migrations in the order they were applied, as the state rows record it (`applied_at`);
 * migrations applied in the same millisecond keep their plan (topological) order.
 */
function applicationOrder(applied: readonly PlannableMigration[], rows: Map<string, StateRow>): PlannableMigration[] {
  const at = (m: PlannableMigration) => {
    const time = Date.parse(rows.get(m.id)?.appliedAt ?? '');
    return Number.isNaN(time) ? 0 : time;
  };
  return applied
    .map((migration, index) => ({ migration, index, time: at(migration) }))
    .sort((a, b) => a.time - b.time || a.index - b.index)
    .map((entry) => entry.migration);
}

/** The version of `migration`'s module just before it (`0.0.0` for the first): `down --to` it reverts `migration`. */
function previousVersion(order: readonly PlannableMigration[], migration: PlannableMigration): string {
  let best: Version | undefined;
  for (const m of order) {
    if (m.module !== migration.module || compareVersions(m.version, migration.version) >= 0) continue;
    if (!best || compareVersions(m.version, best) > 0) best = m.version;
  }
  return best?.text ?? '0.0.0';
}

/**
 * Kahn's algorithm over explicit and implicit (previous version in the module) edges. Nodes are
 * numbered by their (module, version) rank, so the heap that breaks ties compares integers.
 */
function orderMigrations(
  migrations: PlannableMigration[],
  byId: ReadonlyMap<string, PlannableMigration>,
  problems: Problem[],
): PlannableMigration[] {
  const sorted = sortByModuleAndVersion(migrations);
  const count = sorted.length;
  const rank = new Map<string, number>();
  for (let i = 0; i < count; i++) rank.set(sorted[i]!.id, i);
  const indegree = new Int32Array(count);
  const dependants: number[][] = new Array(count);
  const addEdge = (from: number, to: number) => {
    (dependants[from] ??= []).push(to);
    indegree[to]!++;
  };
  for (let i = 0; i < count; i++) {
    const m = sorted[i]!;
    if (i > 0 && sorted[i - 1]!.module === m.module) addEdge(i - 1, i);
    for (const dep of m.dependsOn) {
      const targetRank = rank.get(dep);
      if (targetRank === undefined) {
        problems.push({
          code: 'STRATA_UNKNOWN_DEPENDENCY',
          message: `Migration ${m.id} depends on ${dep}, which does not exist`,
          hint: 'Fix the dependency id (module@version), or add the missing migration or module',
          migrationId: m.id,
          ...(m.file ? { file: m.file } : {}),
        });
        continue;
      }
      const target = sorted[targetRank]!;
      if (target.module === m.module && targetRank >= i) {
        problems.push({
          code: target.id === m.id ? 'STRATA_DEPENDENCY_CYCLE' : 'STRATA_FORWARD_DEPENDENCY',
          message:
            target.id === m.id
              ? `Migration ${m.id} depends on itself`
              : `Migration ${m.id} depends on ${dep}, a later version of its own module`,
          hint: 'A migration can only depend on earlier versions of its own module',
          migrationId: m.id,
          ...(m.file ? { file: m.file } : {}),
        });
        continue;
      }
      addEdge(targetRank, i);
    }
  }
  const heap = new IntMinHeap(count);
  for (let i = 0; i < count; i++) if (indegree[i] === 0) heap.push(i);
  const order: PlannableMigration[] = [];
  while (heap.size) {
    const i = heap.pop();
    order.push(sorted[i]!);
    const next = dependants[i];
    if (!next) continue;
    for (const j of next) if (--indegree[j]! === 0) heap.push(j);
  }
  if (order.length < count) {
    const placed = new Set(order.map((m) => m.id));
    const rest = sorted.filter((m) => !placed.has(m.id));
    const cycle = findCycle(rest, byId, placed);
    problems.push({
      code: 'STRATA_DEPENDENCY_CYCLE',
      message: `Dependency cycle: ${cycle.join(' -> ')}`,
      hint: 'Remove one of the dependencies in the cycle',
      migrationId: cycle[0]!,
      details: { cycle },
    });
    order.push(...rest);
  }
  return order;
}

function findCycle(rest: PlannableMigration[], byId: ReadonlyMap<string, PlannableMigration>, placed: Set<string>): string[] {
  // Each unplaced node has an unplaced predecessor; walk predecessors until one repeats.
  const restIds = new Set(rest.map((m) => m.id));
  const predecessor = (m: PlannableMigration): string | undefined => {
    for (const dep of m.dependsOn) if (restIds.has(dep) && !placed.has(dep)) return dep;
    const sameModule = rest.filter((r) => r.module === m.module && compareVersions(r.version, m.version) < 0);
    return sameModule.length ? sameModule[sameModule.length - 1]!.id : undefined;
  };
  const seen = new Map<string, number>();
  const path: string[] = [];
  let current: string | undefined = rest[0]!.id;
  while (current !== undefined && !seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    current = predecessor(byId.get(current)!);
  }
  if (current === undefined) return path.reverse();
  return [...path.slice(seen.get(current)!), current].reverse();
}

const byModuleAndVersion = (a: PlannableMigration, b: PlannableMigration): number =>
  a.module < b.module ? -1 : a.module > b.module ? 1 : compareVersions(a.version, b.version);

/** Largest component for which major, minor and patch pack exactly into one double (3 x 17 bits). */
const PACKED_LIMIT = 2 ** 17;

/**
 * Sorts by (module, version). Within a module whose versions have no pre-release and small
 * components, a version packs into one number and the module sorts natively (a Float64Array sort,
 * no comparator calls): ids are unique here, so a packed version maps back to one migration.
 */
function sortByModuleAndVersion(migrations: readonly PlannableMigration[]): PlannableMigration[] {
  const byModule = new Map<string, PlannableMigration[]>();
  for (const m of migrations) {
    const list = byModule.get(m.module);
    if (list) list.push(m);
    else byModule.set(m.module, [m]);
  }
  const sorted: PlannableMigration[] = [];
  for (const module of [...byModule.keys()].sort()) {
    const list = byModule.get(module)!;
    const keys = new Float64Array(list.length);
    const byKey = new Map<number, PlannableMigration>();
    let packable = true;
    for (let i = 0; i < list.length && packable; i++) {
      const { major, minor, patch, prerelease } = list[i]!.version;
      packable = prerelease.length === 0 && major < PACKED_LIMIT && minor < PACKED_LIMIT && patch < PACKED_LIMIT;
      const key = (major * PACKED_LIMIT + minor) * PACKED_LIMIT + patch;
      keys[i] = key;
      byKey.set(key, list[i]!);
    }
    if (packable && byKey.size === list.length) {
      keys.sort();
      for (let i = 0; i < keys.length; i++) sorted.push(byKey.get(keys[i]!)!);
    } else {
      sorted.push(...list.sort(byModuleAndVersion));
    }
  }
  return sorted;
}

/** A binary min-heap of small integers. */
class IntMinHeap {
  private readonly items: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.items = new Int32Array(Math.max(1, capacity));
  }
  push(value: number): void {
    const items = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }
  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items[--this.size]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const child = r < this.size && items[r]! < items[l]! ? r : l;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
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
