import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import coreSchema from '@strata/core-schema';
import { smallMigrationSql } from './workload.js';

/**
 * What the peer benchmarks share: the migration sets (W1, W2) in a dialect-neutral form, the
 * target a run applies them to, and the adapter each peer implements.
 */
export type DialectName = 'postgres' | 'sqlite';

export interface PeerMigration {
  /** e.g. `create_t_12`; the position in the set gives the version. */
  name: string;
  /** The `up` SQL in the target dialect (may hold several statements). */
  sql: string;
  /** The `down` SQL, for the tools whose file format wants one. */
  down: string;
}

export interface MigrationSet {
  key: 'w1' | 'w2';
  dialect: DialectName;
  migrations: PeerMigration[];
}

export type Target = { dialect: 'postgres'; url: string; database: string } | { dialect: 'sqlite'; filename: string };

/** Runs `up` to the latest migration against a target; resolves to how many migrations it applied. */
export type Runner = (target: Target) => Promise<number>;

export interface Peer {
  /** Row label, with the version and the mode the tool runs in. */
  name: string;
  /** A Node peer (the targets compare strata with the best of these); false for dbmate and psql. */
  node: boolean;
  dialects: readonly DialectName[];
  /**
   * Writes the set the way the tool expects (files in `dir`, or an in-memory list) — untimed —
   * and returns the timed runner.
   */
  prepare(set: MigrationSet, dir: string): Runner;
}

/** Zero-padded 1-based position: 0001 … 1000, so every tool sorts the files the same way. */
export const seq = (i: number): string => String(i + 1).padStart(4, '0');

/** W1: the `core` module's two bodies (1.0.0 tables, 1.1.0 indexes) as two migrations. */
export function w1Set(dialect: DialectName): MigrationSet {
  return {
    key: 'w1',
    dialect,
    migrations: coreSchema.definitions.map((d) => ({
      name: d.name,
      sql: (d.up as Record<DialectName, string>)[dialect],
      down: ((d.down ?? {}) as Record<DialectName, string>)[dialect] ?? '',
    })),
  };
}

/** W2: `count` small migrations (a table with three columns and an index). */
export function w2Set(dialect: DialectName, count: number): MigrationSet {
  return {
    key: 'w2',
    dialect,
    migrations: Array.from({ length: count }, (_, i) => ({ name: `create_t_${i}`, sql: smallMigrationSql(i), down: `DROP TABLE t_${i};` })),
  };
}

/**
 * Splits a script into statements at top-level semicolons (quotes and `--` comments respected),
 * for the drivers that take one statement per call (better-sqlite3 behind knex and Kysely). The
 * bench scripts have no dollar quotes, triggers or `BEGIN … END` bodies.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      current += '\n';
      continue;
    }
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      if (end < 0) {
        current += sql.slice(i);
        break;
      }
      current += sql.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

/** The bench package's own folder (peers' scripts run from a scratch folder below it so they resolve its dependencies). */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Installed version of a peer, read from its package.json. */
export function peerVersion(pkg: string): string {
  try {
    return JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;
  } catch {
    return '?';
  }
}

/** Absolute path of a file inside an installed package (for spawning a peer's CLI with node directly). */
export function packageFile(pkg: string, file: string): string {
  return join(BENCH_DIR, 'node_modules', pkg, file);
}
