import { join } from 'node:path';
import { type FleetWorkerHost, isFleetWorker, runCli, runFleetWorker } from '@strata/cli';
import { fdWriter, isTerminal } from './stdio.js';

// CommonJS `require`s (decision 007): the dialects' CommonJS builds share this process's core.
const loaders: Required<FleetWorkerHost> = {
  dialectLoaders: {
    postgres: async () => require('@strata/dialect-postgres') as typeof import('@strata/dialect-postgres'),
    sqlite: async () => require('@strata/dialect-sqlite') as typeof import('@strata/dialect-sqlite'),
  },
  modules: { '@strata/core-schema': async () => require('@strata/core-schema') as typeof import('@strata/core-schema') },
  backupLoader: async () => require('@strata/backup') as typeof import('@strata/backup'),
};
// This file is also the entry of a SQLite fleet's worker threads (packages/cli/src/fleet/fleet-workers.ts).
if (isFleetWorker()) void runFleetWorker(loaders);

/**
 * Runs the CLI for this process: wires the dialects, the core schema module and backups (each
 * imported only when a command needs it), turns SIGINT/SIGTERM into a cancellation (the running
 * migration rolls back; a second signal exits at once) and exits with the command's status.
 */
export async function main(argv: readonly string[], version: string): Promise<void> {
  // Pipes and files are written synchronously through their descriptors; only terminals get Node's
  // streams (which load tty, net and the stream machinery: ~10 ms of start-up).
  const stdoutIsTTY = isTerminal(1);
  const stderrIsTTY = isTerminal(2);
  const interactive = stdoutIsTTY && isTerminal(0);
  const stdout = stdoutIsTTY ? process.stdout : fdWriter(1);
  const stderr = stderrIsTTY ? process.stderr : fdWriter(2);
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) process.exit(signal === 'SIGTERM' ? 143 : 130);
    received = signal;
    stderr.write(`\nreceived ${signal}: rolling back and releasing the lock (send it again to exit at once)\n`);
    controller.abort(Object.assign(new Error(`received ${signal}`), { signal }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const code = await runCli(argv, {
    stdout,
    stderr,
    ...(interactive ? { stdin: process.stdin } : {}),
    env: process.env,
    cwd: process.cwd(),
    isTTY: interactive,
    stderrIsTTY,
    version,
    // This file is bundled into dist/main.cjs, next to the library entry that `strata.config.ts` imports.
    configAliases: { 'strata-migrate': join(__dirname, 'index.js') },
    ...loaders,
    fleetWorkerEntry: __filename,
    // Only `strata lint` loads it (an optional peer: a project that does not lint installs nothing).
    lintLoader: async () => require('@strata/lint') as typeof import('@strata/lint'),
    commonJs: true,
    signal: controller.signal,
  });
  // Exit once the terminal streams are flushed: an idle pool or a paused stdin must not hold the process.
  let pending = 1;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  // (Reading process.stdout creates the stream, so only terminals, which already have one, are asked.)
  for (const stream of [stdoutIsTTY && process.stdout, stderrIsTTY && process.stderr]) {
    if (stream) {
      pending++;
      stream.write('', done);
    }
  }
  done();
}
