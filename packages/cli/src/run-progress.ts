import type { LockHolder, MigratorEvent } from '@strata/core';
import type { Output } from './output.js';

/** How often the progress line's elapsed time is rewritten. */
const TICK_MS = 250;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Who holds the lock, for people: `pid 4242 on host db-1 (billing, since 2026-12-03T19:31:02Z)`.
 * `undefined` when the dialect told nothing (an empty holder: not a strata run).
 */
export function describeLockHolder(holder: LockHolder | undefined): string | undefined {
  if (!holder) return undefined;
  const where = holder.host ? `on host ${holder.host}` : holder.clientAddress ? `from ${holder.clientAddress}` : undefined;
  const who = [holder.pid !== undefined ? `pid ${holder.pid}` : undefined, where].filter(Boolean).join(' ');
  const since = holder.since ? `since ${holder.since.replace(/\.\d+(?=Z|[+-]\d\d:?\d\d$)/, '')}` : undefined;
  const about = [holder.applicationName, since].filter(Boolean).join(', ');
  if (!who && !about) return undefined;
  return [who || 'another session', about ? `(${about})` : undefined].filter(Boolean).join(' ');
}

/**
 * The terminal's live line for a run: `[2/5] applying app@1.1.0 … 3.2 s` while a step runs,
 * `waiting for the migration lock on <target> … 4.0 s` while another run holds it (once core
 * names the holder: `waiting for the lock held by pid N on host H (app, since …) … 4.0 s`), both
 * rewritten every 250 ms (PostgreSQL statements run asynchronously, so the line moves during a
 * long statement; SQLite's run in this thread and the line moves between them). `live` is whether
 * the output shows progress (stderr is a terminal, no --json, no --quiet); without it the run
 * prints its plain per-step lines, plus one line naming the lock holder when it is first known
 * (and again if another holder takes over). Returns the event handler and a `stop` for the end.
 */
export function createRunProgress(out: Output, live = true): { onEvent(event: MigratorEvent): void; stop(): void } {
  let timer: ReturnType<typeof setInterval> | undefined;
  let render: (() => string) | undefined;
  /** When the current lock wait started (set by its first event; core's `waitedMs` corrects it). */
  let waitStarted: number | undefined;
  let lastHolder: string | undefined;
  const draw = () => {
    if (render) out.progress(render());
  };
  const start = (text: (elapsed: string) => string, started = performance.now()) => {
    render = () => text(seconds(performance.now() - started));
    draw();
    if (!timer) {
      timer = setInterval(draw, TICK_MS);
      timer.unref?.();
    }
  };
  const stop = () => {
    waitStarted = undefined;
    lastHolder = undefined;
    if (timer) clearInterval(timer);
    timer = undefined;
    if (render) out.progress(undefined);
    render = undefined;
  };
  return {
    onEvent(event) {
      if (!live && event.type !== 'lock-wait') {
        if (event.type === 'lock-acquired' || event.type === 'run-end') stop();
        return;
      }
      switch (event.type) {
        case 'lock-wait': {
          if (event.waitedMs !== undefined) waitStarted = performance.now() - event.waitedMs;
          waitStarted ??= performance.now();
          const holder = describeLockHolder(event.holder);
          const changed = holder !== undefined && holder !== lastHolder;
          lastHolder = holder ?? lastHolder;
          if (!live) {
            if (changed) out.info(`waiting for the lock on ${event.target}, held by ${lastHolder}`);
            return;
          }
          const known = lastHolder;
          start(
            (elapsed) =>
              known
                ? `waiting for the lock held by ${known} … ${elapsed}`
                : `waiting for the migration lock on ${event.target} … ${elapsed}`,
            waitStarted,
          );
          return;
        }
        case 'lock-acquired':
        case 'run-end':
          stop();
          return;
        case 'step-start': {
          const verb = event.direction === 'up' ? 'applying' : 'reverting';
          start((elapsed) => `[${event.index + 1}/${event.total}] ${verb} ${event.id} … ${elapsed}`);
          return;
        }
        case 'step-end':
          // Cleared before the step's own line is printed (stdout and stderr share the terminal).
          stop();
          return;
        default:
          return;
      }
    },
    stop,
  };
}
