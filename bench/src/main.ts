/**
 * strata's benchmark harness: every figure and its baseline are measured in the same run,
 * interleaved, on fresh databases, and reported as medians with ratios.
 *
 *   pnpm bench                 # everything
 *   pnpm bench -- --only sqlite,plan,status,postgres,cli
 *   pnpm bench -- --rounds 5
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchCli } from './cli-bench.js';
import { benchPlan } from './plan-bench.js';
import { benchPostgres } from './postgres-bench.js';
import { benchSqlite } from './sqlite-bench.js';
import { type Row, printTable } from './table.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    migrations: { type: 'string', default: '1000' },
    out: { type: 'string' },
  },
});
const only = new Set((values.only ?? 'plan,sqlite,status,postgres,cli').split(','));
const rounds = Number(values.rounds);
const count = Number(values.migrations);
const work = mkdtempSync(join(tmpdir(), 'strata-bench-'));

const rows: Row[] = [];
const env = `node ${process.version}, ${spawnSync('nproc').stdout.toString().trim()} cores, ${rounds} rounds (median)`;
console.log(`strata bench — ${env}\n`);
try {
  if (only.has('plan')) rows.push(...(await benchPlan(rounds)));
  if (only.has('sqlite') || only.has('status')) rows.push(...(await benchSqlite({ work, rounds, count, status: only.has('status'), apply: only.has('sqlite') })));
  if (only.has('postgres')) rows.push(...(await benchPostgres({ work, rounds, count })));
  if (only.has('cli')) rows.push(...(await benchCli({ work, rounds, count })));
} finally {
  rmSync(work, { recursive: true, force: true });
}
const table = printTable(rows);
console.log(`\n${table}`);
if (values.out) writeFileSync(values.out, `${env}\n\n${table}\n`);
