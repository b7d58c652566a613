import { setTimeout as delay } from 'node:timers/promises';
import { type Migration, type MigrationSource, type MigratorHooks, type StepDeferral, StrataError, type UpOptions } from '@strata/core';
import { describeDelay, describeLocal, isOpen, nextClosing, nextOpening, type WindowSpec } from './window-spec.js';

const DIRECTIVE = /^[ \t]*--[ \t]*strata:window[ \t]+(\S+)[ \t]*$/m;

/**
 * The window a migration opts into: `-- strata:window <name>` in a SQL file (parse-checked by core,
 * before the first statement), or `window` in a script's definition. Reads the body the run is
 * about to run anyway.
 */
export async function windowOf(migration: Migration, dialect: string): Promise<string | undefined> {
  const variant = migration.forDialect?.(dialect) ?? migration;
  if (variant.load) {
    const definition = await variant.load();
    return typeof definition.window === 'string' ? definition.window : undefined;
  }
  if (variant.file !== undefined && !variant.file.endsWith('.sql')) return undefined;
  const text = (await variant.resolve(dialect)).checksumText;
  if (!text.includes('strata:window')) return undefined;
  return DIRECTIVE.exec(text)?.[1];
}

function unknownWindow(migration: Migration, name: string, windows: Map<string, WindowSpec>): StrataError {
  const known = [...windows.keys()];
  const where = migration.file ?? migration.id;
  return new StrataError(
    'STRATA_INVALID_MIGRATION',
    `${where}: window ${JSON.stringify(name)} is not configured (${known.length ? `configured: ${known.join(', ')}` : 'the config has no windows'})`,
    {
      hint: known.length
        ? `Use one of ${known.join(', ')}, or add ${name} to the config's windows`
        : `Add it to the config: windows: { ${name}: { days: 'mon-fri', from: '22:00', to: '04:00', timezone: 'UTC' } }`,
      details: { migrationId: migration.id, ...(migration.file ? { file: migration.file } : {}), window: name, configured: known },
    },
  );
}

/** The clock of a run: `STRATA_TEST_NOW` (tests only) starts it at a given instant, then it runs. */
export function runClock(env: Record<string, string | undefined>): () => number {
  const fixed = env.STRATA_TEST_NOW;
  if (!fixed) return Date.now;
  const start = Date.parse(fixed);
  if (Number.isNaN(start))
    throw new StrataError('STRATA_USAGE', `STRATA_TEST_NOW is not an ISO 8601 instant: ${JSON.stringify(fixed)}`, {
      hint: 'It is for tests only; unset it',
    });
  const realStart = Date.now();
  return () => start + (Date.now() - realStart);
}

/** Options of {@link windowCheck}. */
export interface WindowCheckOptions {
  windows: Map<string, WindowSpec>;
  /** @default Date.now */
  now?: () => number;
  /** `--wait-for-window <max>`: wait for a closed window when it opens within this long from the run's first check. */
  waitMs?: number;
  /** Injected in tests; resolves early (or rejects) when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Called when a wait starts and about once a minute while it lasts (a progress line). */
  onWait?: (wait: { migrationId: string; window: string; opensAt: number; remainingMs: number }) => void;
}

/** Longest single sleep: the clock is read again after each, and the progress line updated. */
const SLICE_MS = 60_000;

/**
 * The migrator's `beforeStep` hook for maintenance windows: `undefined` when the migration has no
 * window or its window is open; a deferral (the run stops, exit 8) when it is closed, after
 * waiting for it when `waitMs` allows. An unknown window name throws (exit 3).
 */
export function windowCheck(options: WindowCheckOptions): NonNullable<UpOptions['beforeStep']> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : undefined).catch(() => {}));
  let deadline: number | undefined;
  return async (migration, context): Promise<StepDeferral | undefined> => {
    const name = await windowOf(migration, context.dialect);
    if (name === undefined) return undefined;
    const window = options.windows.get(name);
    if (!window) throw unknownWindow(migration, name, options.windows);
    deadline ??= now() + (options.waitMs ?? 0);
    for (;;) {
      const at = now();
      if (isOpen(window, at)) return undefined;
      const opensAt = nextOpening(window, at);
      if (opensAt > deadline) {
        const waited = options.waitMs ? ` (after --wait-for-window, which ends ${describeDelay(deadline - at)})` : '';
        return {
          window: name,
          opensAt: new Date(opensAt).toISOString(),
          message: `${migration.id} waits for window ${name}: it opens ${describeLocal(opensAt, window.timezone)}, ${describeDelay(opensAt - at)}${waited}`,
          details: {
            timezone: window.timezone,
            opensAtLocal: describeLocal(opensAt, window.timezone),
            ...(migration.file ? { file: migration.file } : {}),
          },
        };
      }
      options.onWait?.({ migrationId: migration.id, window: name, opensAt, remainingMs: opensAt - at });
      await sleep(Math.min(SLICE_MS, Math.max(1, opensAt - at)), context.signal);
      if (context.signal?.aborted) {
        throw new StrataError('STRATA_INTERRUPTED', `Interrupted while waiting for window ${name} (before ${migration.id})`, {
          hint: 'Nothing was left half done: run strata up again',
        });
      }
    }
  };
}

/**
 * Wraps the run's hooks: before anything runs (under the lock), every migration of the plan that
 * names a window must name a configured one; a typo would otherwise surface only after the steps
 * before it ran.
 */
export function withWindowNames(
  hooks: MigratorHooks,
  sources: readonly MigrationSource[],
  windows: Map<string, WindowSpec>,
): MigratorHooks {
  return {
    async beforeRun(context) {
      if (context.direction === 'up') {
        const byId = await migrationsById(sources);
        for (const step of context.plan.steps) {
          const migration = byId.get(step.migration.id);
          if (!migration) continue;
          const name = await windowOf(migration, context.dialect.name);
          if (name !== undefined && !windows.has(name)) throw unknownWindow(migration, name, windows);
        }
      }
      return hooks.beforeRun?.(context);
    },
  };
}

async function migrationsById(sources: readonly MigrationSource[]): Promise<Map<string, Migration>> {
  const byId = new Map<string, Migration>();
  for (const source of sources) for (const migration of (await source.load()).migrations) byId.set(migration.id, migration);
  return byId;
}

/** One pending migration's window, for `status`. */
export interface WindowNote {
  migrationId: string;
  window: string;
  open: boolean;
  /** When it opens next (closed) or closes (open), ISO 8601. */
  opensAt: string | null;
  closesAt: string | null;
  /** `waiting for window nightly (opens 2026-03-29 22:00 Europe/Berlin, in 3 h)`. */
  text: string;
}

/** The windows of the pending migrations `ids`, for `status`. Unknown names are said, not thrown. */
export async function windowNotes(
  sources: readonly MigrationSource[],
  ids: readonly string[],
  dialect: string,
  windows: Map<string, WindowSpec>,
  at: number,
): Promise<WindowNote[]> {
  if (ids.length === 0) return [];
  const byId = await migrationsById(sources);
  const notes: WindowNote[] = [];
  for (const id of ids) {
    const migration = byId.get(id);
    const name = migration ? await windowOf(migration, dialect) : undefined;
    if (name === undefined) continue;
    const window = windows.get(name);
    if (!window) {
      notes.push({
        migrationId: id,
        window: name,
        open: false,
        opensAt: null,
        closesAt: null,
        text: `window ${name} is not configured (up stops with exit 3)`,
      });
      continue;
    }
    const open = isOpen(window, at);
    const change = open ? nextClosing(window, at) : nextOpening(window, at);
    notes.push({
      migrationId: id,
      window: name,
      open,
      opensAt: open ? null : new Date(change).toISOString(),
      closesAt: open ? new Date(change).toISOString() : null,
      text: open
        ? `window ${name} open (closes ${describeLocal(change, window.timezone)}, ${describeDelay(change - at)})`
        : `waiting for window ${name} (opens ${describeLocal(change, window.timezone)}, ${describeDelay(change - at)})`,
    });
  }
  return notes;
}
