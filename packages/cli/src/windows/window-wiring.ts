import { type MigrationSource, type RunReport, StrataError, type UpOptions } from '@strata/core';
import { parseAge } from '../duration.js';
import { EXIT_DEFERRED } from '../exit-codes.js';
import type { Output } from '../output.js';
import type { Settings } from '../settings.js';
import { windowSpecs } from './window-config.js';
import { runClock, type WindowNote, windowCheck, windowNotes } from './window-gate.js';
import { describeDelay, describeLocal } from './window-spec.js';

/** What `up` passes to {@link upWindowCheck}. */
export interface UpWindowOptions {
  settings: Settings;
  env: Record<string, string | undefined>;
  /** `--wait-for-window <max>`. */
  waitFor: string | undefined;
  singleTransaction: boolean;
  out: Output;
  isTTY: boolean;
}

/**
 * `up`'s maintenance-window check (before every step). Always installed: a migration that names a
 * window the config lacks must fail (exit 3) even in a project without windows.
 */
export function upWindowCheck(options: UpWindowOptions): NonNullable<UpOptions['beforeStep']> {
  const { out } = options;
  const waitMs = options.waitFor === undefined ? undefined : parseAge(options.waitFor, '--wait-for-window');
  if (waitMs !== undefined && options.singleTransaction) {
    // Waiting would hold the run's one transaction (and its locks) open for hours.
    throw new StrataError('STRATA_USAGE', '--wait-for-window cannot be combined with --single-transaction', {
      hint: 'Run strata up --wait-for-window without --single-transaction, or start the run when the window is open',
    });
  }
  const announced = new Set<string>();
  let waiting = false;
  const check = windowCheck({
    windows: windowSpecs(options.settings.windows),
    now: runClock(options.env),
    ...(waitMs !== undefined ? { waitMs } : {}),
    onWait: ({ migrationId, window, opensAt, remainingMs }) => {
      const timezone = options.settings.windows?.[window]?.timezone ?? 'UTC';
      const line = `waiting for window ${window} before ${migrationId}: it opens ${describeLocal(opensAt, timezone)}, ${describeDelay(remainingMs)} (Ctrl-C stops; nothing is lost)`;
      waiting = true;
      if (options.isTTY) out.progress(line);
      else if (!announced.has(migrationId)) {
        announced.add(migrationId);
        out.info(line);
      }
    },
  });
  return async (migration, context) => {
    try {
      return await check(migration, context);
    } finally {
      if (waiting) out.progress(undefined);
      waiting = false;
    }
  };
}

/** Says why `up` stopped early; returns its exit status, 8. */
export function reportDeferred(out: Output, deferred: NonNullable<RunReport['deferred']>): number {
  out.warn(`deferred: ${deferred.message}`);
  out.warn('hint: nothing failed; run strata up again once the window is open, or strata up --wait-for-window <max> to wait for it');
  return EXIT_DEFERRED;
}

/** The windows of the pending migrations, for `status` (text and `--json` `windows[]`). */
export async function statusWindows(
  sources: readonly MigrationSource[],
  report: { dialect: string; migrations: readonly { id: string; state: string }[] },
  settings: Settings,
  env: Record<string, string | undefined>,
): Promise<WindowNote[]> {
  // Without windows in the config, status reads no file again (its speed matters; `up` reports a
  // directive naming a window the config lacks).
  if (!settings.windows || Object.keys(settings.windows).length === 0) return [];
  const pending = report.migrations.filter((entry) => entry.state === 'pending').map((entry) => entry.id);
  return windowNotes(sources, pending, report.dialect, windowSpecs(settings.windows), runClock(env)());
}
