import type { MigratorEvent } from '@strata/core';
import type { Output } from './output.js';

/** How often the progress line's elapsed time is rewritten. */
const TICK_MS = 250;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The terminal's live line for a run: `[2/5] applying app@1.1.0 … 3.2 s` while a step runs,
 * `waiting for the migration lock on <target> … 4.0 s` while another run holds it, both rewritten
 * every 250 ms (PostgreSQL statements run asynchronously, so the line moves during a long
 * statement; SQLite's run in this thread and the line moves between them). Nothing at all unless
 * the output shows progress (stderr is a terminal, no --json, no --quiet): on a pipe the run
 * prints its plain per-step lines only. Returns the event handler and a `stop` for the end.
 */
export function createRunProgress(out: Output): { onEvent(event: MigratorEvent): void; stop(): void } {
  let timer: ReturnType<typeof setInterval> | undefined;
  let render: (() => string) | undefined;
  const draw = () => {
    if (render) out.progress(render());
  };
  const start = (text: (elapsed: string) => string) => {
    const started = performance.now();
    render = () => text(seconds(performance.now() - started));
    draw();
    if (!timer) {
      timer = setInterval(draw, TICK_MS);
      timer.unref?.();
    }
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (render) out.progress(undefined);
    render = undefined;
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case 'lock-wait':
          start((elapsed) => `waiting for the migration lock on ${event.target} … ${elapsed}`);
          return;
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
