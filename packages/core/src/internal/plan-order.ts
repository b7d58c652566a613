import type { PlannableMigration } from '../plan-types.js';
import type { Problem } from '../problem.js';
import type { StateRow } from '../state.js';
import { compareVersions, type Version } from '../version.js';

/**
 * Applied migrations in the order they were applied, as the state rows record it (`applied_at`);
 * migrations applied in the same millisecond keep their plan (topological) order.
 */
export function applicationOrder(applied: readonly PlannableMigration[], rows: Map<string, StateRow>): PlannableMigration[] {
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
export function previousVersion(order: readonly PlannableMigration[], migration: PlannableMigration): string {
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
export function orderMigrations(
  migrations: PlannableMigration[],
  byId: ReadonlyMap<string, PlannableMigration>,
  problems: Problem[],
): PlannableMigration[] {
  const sorted = [...migrations].sort(byModuleAndVersion);
  const count = sorted.length;
  const rank = new Map<string, number>();
  for (let i = 0; i < count; i++) rank.set(sorted[i]!.id, i);
  const indegree: number[] = new Array<number>(count).fill(0);
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
  const heap = new MinHeap();
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

/**
 * A binary min-heap of node numbers: Kahn's algorithm takes the lowest-ranked ready migration
 * next, so the order is the (module, version) order wherever dependencies allow.
 */
class MinHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(value: number): void {
    const items = this.items;
    let i = items.push(value) - 1;
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
    const last = items.pop()!;
    if (items.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const child = r < items.length && items[r]! < items[l]! ? r : l;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
