// The lock-wait lines as the renderer draws them from core's events. The events are core's
// contract (lock-wait again with `holder` and `waitedMs` once the holder is known); the real
// holder, through the built bin, is in apps/strata/test/wait.e2e.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOutput } from './output.js';
import { createRunProgress, describeLockHolder } from './run-progress.js';

function capture(options: { progress: boolean; json?: boolean; quiet?: boolean }) {
  const written = { stdout: '', stderr: '' };
  const out = createOutput({
    stdout: { write: (s: string) => (written.stdout += s) },
    stderr: { write: (s: string) => (written.stderr += s) },
    json: options.json ?? false,
    quiet: options.quiet ?? false,
    verbose: false,
    color: false,
    progress: options.progress,
  });
  return { out, written };
}

/** The live lines drawn on the terminal (each rewrite starts with CR + erase-line). */
const frames = (stderr: string) => stderr.split('\r\x1b[K').filter(Boolean);

const TARGET = 'postgres://app@db-1:5432/billing';
const HOLDER = { pid: 4242, host: 'ci-runner-7', applicationName: 'strata up', since: '2026-12-03T19:31:02.123Z' };

afterEach(() => {
  vi.useRealTimers();
});

describe('describeLockHolder', () => {
  it('names pid, host, application and since (without fractions of a second)', () => {
    expect(describeLockHolder(HOLDER)).toBe('pid 4242 on host ci-runner-7 (strata up, since 2026-12-03T19:31:02Z)');
    expect(describeLockHolder({ pid: 7, clientAddress: '10.0.0.5' })).toBe('pid 7 from 10.0.0.5');
    expect(describeLockHolder({ since: '2026-12-03T19:31:02.5+01:00' })).toBe('another session (since 2026-12-03T19:31:02+01:00)');
  });

  it('is undefined when nothing is known', () => {
    expect(describeLockHolder(undefined)).toBeUndefined();
    expect(describeLockHolder({})).toBeUndefined();
  });
});

describe('lock-wait on a terminal', () => {
  it('names the holder once core knows it, and counts from the start of the wait', () => {
    vi.useFakeTimers();
    const { out, written } = capture({ progress: true });
    const live = createRunProgress(out, true);
    live.onEvent({ type: 'lock-wait', target: TARGET });
    expect(frames(written.stderr).at(-1)).toBe(`waiting for the migration lock on ${TARGET} … 0.0 s`);
    vi.advanceTimersByTime(1_000);
    live.onEvent({ type: 'lock-wait', target: TARGET, holder: HOLDER, waitedMs: 3_200 });
    expect(frames(written.stderr).at(-1)).toBe(
      'waiting for the lock held by pid 4242 on host ci-runner-7 (strata up, since 2026-12-03T19:31:02Z) … 3.2 s',
    );
    vi.advanceTimersByTime(500);
    expect(frames(written.stderr).at(-1)).toMatch(/^waiting for the lock held by pid 4242 .* … 3\.7 s$/);
    // A later event without a holder keeps the one already known.
    live.onEvent({ type: 'lock-wait', target: TARGET });
    expect(frames(written.stderr).at(-1)).toMatch(/^waiting for the lock held by pid 4242 .* … 3\.7 s$/);
    live.onEvent({ type: 'lock-acquired', waitedMs: 3_800 });
    expect(written.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(written.stdout).toBe('');
    live.stop();
  });

  it('escapes control characters from the holder (application_name is anyone’s text)', () => {
    const { out, written } = capture({ progress: true });
    const live = createRunProgress(out, true);
    live.onEvent({ type: 'lock-wait', target: TARGET, holder: { pid: 1, applicationName: 'evil\x1b[2J\napp' } });
    const frame = frames(written.stderr).at(-1);
    expect(frame).toContain('pid 1 (evil');
    expect(frame).not.toMatch(/[\x1b\n]/);
    live.stop();
  });
});

describe('lock-wait on a pipe', () => {
  it('prints one line when the holder is first known, again only when another holder takes over', () => {
    const { out, written } = capture({ progress: false });
    const piped = createRunProgress(out, false);
    piped.onEvent({ type: 'lock-wait', target: TARGET });
    expect(written.stdout + written.stderr).toBe('');
    piped.onEvent({ type: 'lock-wait', target: TARGET, holder: HOLDER, waitedMs: 250 });
    piped.onEvent({ type: 'lock-wait', target: TARGET, holder: HOLDER, waitedMs: 1_250 });
    piped.onEvent({ type: 'lock-wait', target: TARGET, holder: { ...HOLDER, pid: 5151 }, waitedMs: 2_250 });
    piped.onEvent({ type: 'lock-acquired', waitedMs: 3_000 });
    expect(written.stdout).toBe(
      `waiting for the lock on ${TARGET}, held by pid 4242 on host ci-runner-7 (strata up, since 2026-12-03T19:31:02Z)\n` +
        `waiting for the lock on ${TARGET}, held by pid 5151 on host ci-runner-7 (strata up, since 2026-12-03T19:31:02Z)\n`,
    );
    expect(written.stderr).toBe('');
  });

  it('keeps stdout for the document with --json (the line goes to stderr) and says nothing with --quiet', () => {
    const json = capture({ progress: false, json: true });
    createRunProgress(json.out, false).onEvent({ type: 'lock-wait', target: TARGET, holder: HOLDER });
    expect(json.written.stdout).toBe('');
    expect(json.written.stderr).toContain('held by pid 4242');
    const quiet = capture({ progress: false, quiet: true });
    createRunProgress(quiet.out, false).onEvent({ type: 'lock-wait', target: TARGET, holder: HOLDER });
    expect(quiet.written.stdout + quiet.written.stderr).toBe('');
  });
});
