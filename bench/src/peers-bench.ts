/**
 * In-process comparison with the peers (issue 3's benchmark), on PostgreSQL (`--only peers-pg`)
 * or SQLite (`--only peers-sqlite`). Every subject runs on a fresh database (PostgreSQL: CREATE
 * DATABASE per run, dropped after; SQLite: a new file), interleaved within each round, the order
 * rotating from round to round:
 *   W1 = the `core` module's two bodies (8 tables, then the indexes) as two migrations (>= 5 rounds);
 *   W2 = `count` small migrations from empty;
 *   W3 = `up` with nothing to do and `count` applied (each subject on the database its round-0 W2 filled).
 * A timed run covers what a user's call covers: constructing the tool, connecting, `up`, closing.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { dbmatePeer } from './peer-dbmate.js';
import { knexPeer } from './peer-knex.js';
import { kyselyPeer } from './peer-kysely.js';
import { nodePgMigrate } from './peer-node-pg-migrate.js';
import { postgratorPeer } from './peer-postgrator.js';
import { psqlPerFile, psqlSingle, sqliteLoop } from './peer-baselines.js';
import { strataPeer } from './peer-strata.js';
import { type DialectName, type MigrationSet, type Peer, type Runner, type Target, w1Set, w2Set } from './peer-types.js';
import { umzugPeer } from './peer-umzug.js';
import { createDatabase, dropDatabase } from './pg-database.js';
import { median, type Row } from './table.js';

interface Options {
  work: string;
  rounds: number;
  count: number;
  /** Rounds for the one-process-per-file psql baseline on W2 (1,000 spawns a run). */
  perFileRounds: number;
}

const PEERS: Peer[] = [nodePgMigrate, knexPeer, kyselyPeer, umzugPeer, postgratorPeer, dbmatePeer];

interface Subject {
  key: string;
  peer: Peer;
  role: 'baseline' | 'strata' | 'peer';
  /** Also measured on W3 (on the database its round-0 W2 run filled). */
  w3: boolean;
}

let fileNumber = 0;

async function freshTarget(dialect: DialectName, work: string, tag: string): Promise<{ target: Target; drop: () => Promise<void> }> {
  if (dialect === 'postgres') {
    const db = await createDatabase(tag);
    return { target: { dialect, url: db.url, database: db.name }, drop: () => dropDatabase(db) };
  }
  const filename = join(work, `peers-${fileNumber++}-${tag}.db`);
  return {
    target: { dialect, filename },
    drop: async () => {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(filename + suffix, { force: true });
    },
  };
}

async function timed(runner: Runner, target: Target, expected: number, what: string): Promise<number> {
  const started = performance.now();
  const applied = await runner(target);
  const ms = performance.now() - started;
  if (applied !== expected) throw new Error(`${what}: applied ${applied}, expected ${expected}`);
  return ms;
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** strata reading SQL files: only W2's fill and W3 (W1 is the core module, the same for all). */
const FILE_KEYS = new Set(['strataFiles', 'strataCached']);

export async function benchPeers(dialect: DialectName, options: Options): Promise<Row[]> {
  const { work, rounds, count } = options;
  const db = dialect === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const root = join(work, `peers-${dialect}`);
  const subjects: Subject[] = [
    ...(dialect === 'postgres'
      ? [
          { key: 'psql1', peer: psqlSingle, role: 'baseline', w3: false },
          { key: 'psqlEach', peer: psqlPerFile, role: 'baseline', w3: false },
        ]
      : [
          { key: 'loopEach', peer: sqliteLoop(false), role: 'baseline', w3: false },
          { key: 'loop1', peer: sqliteLoop(true), role: 'baseline', w3: false },
        ]),
    { key: 'strata', peer: strataPeer('tx-each'), role: 'strata', w3: true },
    { key: 'strataSingle', peer: strataPeer('single'), role: 'strata', w3: false },
    { key: 'strataFiles', peer: strataPeer('files'), role: 'strata', w3: true },
    { key: 'strataCached', peer: strataPeer('files-cached'), role: 'strata', w3: true },
    ...PEERS.filter((p) => p.dialects.includes(dialect)).map((peer) => ({ key: peer.name, peer, role: 'peer', w3: true })),
  ] as Subject[];
  const sets: MigrationSet[] = [w2Set(dialect, count), w1Set(dialect)];
  const runners = new Map<string, Runner>();
  subjects.forEach((s, n) => sets.forEach((set) => runners.set(`${s.key}/${set.key}`, s.peer.prepare(set, join(root, `${n}-${set.key}`)))));

  const samples = new Map<string, number[]>();
  const push = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
  const filled = new Map<string, { target: Target; drop: () => Promise<void> }>();
  try {
    // W1 is short and dominated by the server's DDL time, so it gets at least 5 rounds.
    for (let r = 0; r < Math.max(rounds, 5); r++) {
      for (const set of sets) {
        if (set.key === 'w2' && r >= rounds) continue;
        for (const s of rotate(subjects, r)) {
          // strataFiles only differs from strata on W2/W3 (W1 is the core module in both).
          if (FILE_KEYS.has(s.key) && (set.key === 'w1' || r > 0)) continue;
          if (s.key === 'psqlEach' && set.key === 'w2' && r >= options.perFileRounds) continue;
          const fresh = await freshTarget(dialect, work, `${set.key}${s.key.slice(0, 8)}`);
          let keep = false;
          try {
            const ms = await timed(
              runners.get(`${s.key}/${set.key}`)!,
              fresh.target,
              set.migrations.length,
              `${db} ${set.key} ${s.peer.name}`,
            );
            if (!FILE_KEYS.has(s.key)) push(`${s.key}/${set.key}`, ms);
            keep = set.key === 'w2' && r === 0 && s.w3;
            if (keep) filled.set(s.key, fresh);
          } finally {
            if (!keep) await fresh.drop();
          }
        }
      }
    }
    // W3: nothing to do, count applied; interleaved, several samples each.
    const w3Subjects = subjects.filter((s) => filled.has(s.key));
    for (let i = 0; i < Math.max(5, rounds); i++) {
      for (const s of rotate(w3Subjects, i)) {
        push(`${s.key}/w3`, await timed(runners.get(`${s.key}/w2`)!, filled.get(s.key)!.target, 0, `${db} W3 ${s.peer.name}`));
      }
    }
  } finally {
    for (const f of filled.values()) await f.drop();
  }

  const med = (key: string) => median(samples.get(key) ?? [NaN]);
  const n = (key: string) => samples.get(key)?.length ?? 0;
  const rows: Row[] = [];
  const nodePeers = subjects.filter((s) => s.peer.node);
  const bestNode = (w: string) => nodePeers.map((s) => ({ s, ms: med(`${s.key}/${w}`) })).sort((a, b) => a.ms - b.ms)[0]!;
  const baseline = dialect === 'postgres' ? 'psql1' : 'loopEach';
  const baselineName = dialect === 'postgres' ? 'psql -1' : 'loop, tx each';

  // W2
  {
    const w = `${db} W2: ${count} small migrations (in-process)`;
    const base = med(`${baseline}/w2`);
    for (const s of subjects) {
      if (FILE_KEYS.has(s.key)) continue;
      const ms = med(`${s.key}/w2`);
      const label = s.key === 'psqlEach' ? `${s.peer.name} [${n('psqlEach/w2')} sample(s)]` : s.peer.name;
      if (s.role === 'strata') {
        // Issue 3: at most 1.2x psql -1 on PostgreSQL; issue 2: at most 1.3x the matching loop on SQLite.
        const [bName, bMs, max] =
          dialect === 'postgres'
            ? [baselineName, base, 1.2]
            : s.key === 'strataSingle'
              ? ['loop, one tx', med('loop1/w2'), 1.3]
              : [baselineName, base, 1.3];
        rows.push({ workload: w, subject: label, ms, baseline: bName, baselineMs: bMs, target: `<= ${max}x`, ok: ms / bMs <= max });
      } else if (s.key === baseline) {
        rows.push({ workload: w, subject: label, ms });
      } else {
        rows.push({ workload: w, subject: label, ms, baseline: baselineName, baselineMs: base });
      }
    }
  }
  // W1
  {
    const w = `${db} W1: seed schema (core 1.0.0 + 1.1.0, in-process)`;
    const best = bestNode('w1');
    const base = med(`${baseline}/w1`);
    for (const s of subjects) {
      if (FILE_KEYS.has(s.key)) continue;
      const ms = med(`${s.key}/w1`);
      if (s.role === 'strata') {
        rows.push({
          workload: w,
          subject: `${s.peer.name}; ${(ms / base).toFixed(2)}x ${baselineName}`,
          ms,
          baseline: `best Node peer: ${best.s.peer.name.split(' (')[0]}`,
          baselineMs: best.ms,
          target: '< 1x (ahead of every Node peer)',
          ok: ms < best.ms,
        });
      } else if (s.key === baseline) {
        rows.push({ workload: w, subject: s.peer.name, ms });
      } else {
        rows.push({ workload: w, subject: s.peer.name, ms, baseline: baselineName, baselineMs: base });
      }
    }
  }
  // W3
  {
    const w = `${db} W3: up, nothing to do, ${count} applied (in-process)`;
    const best = bestNode('w3');
    const ref = med('strataFiles/w3');
    for (const s of subjects.filter((x) => x.w3)) {
      const ms = med(`${s.key}/w3`);
      if (s.role === 'strata') {
        rows.push({
          workload: w,
          subject: s.peer.name,
          ms,
          baseline: `best Node peer: ${best.s.peer.name.split(' (')[0]}`,
          baselineMs: best.ms,
          target: '< 1x (ahead of every Node peer)',
          ok: ms < best.ms,
        });
      } else {
        rows.push({ workload: w, subject: s.peer.name, ms, baseline: 'strata up (SQL files)', baselineMs: ref });
      }
    }
  }
  return rows;
}
