import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ratioRow, type Row } from './table.js';
import { writeSmallMigrations } from './workload.js';

const BIN = fileURLToPath(new URL('../../apps/strata/dist/strata.cjs', import.meta.url));

function time(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return ms;
}

/** Whole-process times of the CLI against `node -e 0`, measured in the same run. */
export async function benchCli(options: { work: string; rounds: number; count: number }): Promise<Row[]> {
  if (!existsSync(BIN)) return [{ workload: 'CLI', subject: 'skipped: apps/strata is not built', ms: 0 }];
  const { work, count } = options;
  const rounds = Math.max(options.rounds, 10);
  const project = join(work, 'cli-project');
  writeSmallMigrations(join(project, 'migrations'), count);
  const url = `sqlite:${join(project, 'bench.db')}`;
  time([BIN, 'up', '--url', url, '--no-backup', '--single-transaction'], project);
  const node: number[] = [];
  const version: number[] = [];
  const upNothing: number[] = [];
  for (let r = 0; r < rounds; r++) {
    node.push(time(['-e', '0'], project));
    version.push(time([BIN, '--version'], project));
    upNothing.push(time([BIN, 'up', '--url', url, '--no-backup'], project));
  }
  const nodeMs = median(node);
  return [
    { workload: 'CLI start-up', subject: 'node -e 0', ms: nodeMs },
    ratioRow('CLI start-up', 'strata --version', median(version), 'node -e 0', nodeMs, 1.3),
    {
      workload: `CLI W3 SQLite: up, nothing to do, ${count} applied`,
      subject: 'strata up (whole process)',
      ms: median(upNothing),
      baseline: 'node -e 0',
      baselineMs: nodeMs,
    },
  ];
}
