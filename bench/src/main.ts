/**
 * strata's benchmark harness: every figure and its baseline are measured in the same run,
 * interleaved, on fresh databases, and reported as medians with ratios.
 *
 *   pnpm bench                 # everything
 *   pnpm bench -- --only sqlite,plan,status,postgres,cli,peers-pg,peers-sqlite,cli-peers
 *   pnpm bench -- --rounds 5
 *   pnpm bench -- --only peers-pg --per-file-rounds 0   # skip the 1,000-process psql baseline
 *   pnpm bench -- --only backup --backup-mb 200          # backups vs sqlite3 .backup and pg_dump -Fc
 *   pnpm bench -- --only fleet --fleet-tenants 1000 --rounds 1   # W5: fleets of tenants (fleet-sqlite, fleet-pg)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchBackup } from './backup-bench.js';
import { benchCli } from './cli-bench.js';
import { benchCliPeers } from './cli-peers-bench.js';
import { benchFleet } from './fleet-bench.js';
import { benchPlan } from './plan-bench.js';
import { benchPeers } from './peers-bench.js';
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
    'per-file-rounds': { type: 'string', default: '1' },
    'backup-mb': { type: 'string', default: '200' },
    'fleet-tenants': { type: 'string', default: '1000' },
  },
});
const only = new Set((values.only ?? 'plan,sqlite,status,postgres,cli,peers-pg,peers-sqlite,cli-peers').split(','));
const rounds = Number(values.rounds);
const count = Number(values.migrations);
const work = mkdtempSync(join(tmpdir(), 'strata-bench-'));

const rows: Row[] = [];
const postgresVersion =
  spawnSync('psql', ['--version'])
    .stdout?.toString()
    .trim()
    .replace(/^psql \(PostgreSQL\) /, '') || '?';
const env = `node ${process.version}, ${spawnSync('nproc').stdout.toString().trim()} cores (${cpus()[0]?.model ?? '?'}), PostgreSQL client ${postgresVersion}, ${rounds} rounds (median)`;
console.log(`strata bench — ${env}\n`);
try {
  if (only.has('plan')) rows.push(...(await benchPlan(rounds)));
  if (only.has('sqlite') || only.has('status'))
    rows.push(...(await benchSqlite({ work, rounds, count, status: only.has('status'), apply: only.has('sqlite') })));
  if (only.has('postgres')) rows.push(...(await benchPostgres({ work, rounds, count })));
  if (only.has('cli')) rows.push(...(await benchCli({ work, rounds, count })));
  const perFileRounds = Number(values['per-file-rounds']);
  if (only.has('peers-pg')) rows.push(...(await benchPeers('postgres', { work, rounds, count, perFileRounds })));
  if (only.has('peers-sqlite')) rows.push(...(await benchPeers('sqlite', { work, rounds, count, perFileRounds })));
  if (only.has('cli-peers')) rows.push(...(await benchCliPeers({ rounds, count })));
  // Not in the default set: it builds a ~200 MB SQLite file and a PostgreSQL database of that size.
  // Not in the default set either: W5 spawns a process per tenant for its shell-loop baseline.
  if (only.has('fleet') || only.has('fleet-sqlite') || only.has('fleet-pg')) {
    const dialects = only.has('fleet')
      ? (['sqlite', 'postgres'] as const)
      : ([...(only.has('fleet-sqlite') ? ['sqlite'] : []), ...(only.has('fleet-pg') ? ['postgres'] : [])] as ('sqlite' | 'postgres')[]);
    rows.push(
      ...(await benchFleet({ work, rounds: Number(values.rounds), tenants: Number(values['fleet-tenants']), dialects: [...dialects] })),
    );
  }
  if (only.has('backup')) rows.push(...(await benchBackup({ work, rounds, megabytes: Number(values['backup-mb']) })));
} finally {
  rmSync(work, { recursive: true, force: true });
}
const table = printTable(rows);
console.log(`\n${table}`);
if (values.out) writeFileSync(values.out, `${env}\n\n${table}\n`);
