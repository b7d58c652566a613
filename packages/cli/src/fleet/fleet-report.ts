import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StrataError } from '@strata/core';
import type { FleetStop, FleetTenantResult } from './fleet-run.js';
import type { FleetShard } from './fleet-shard.js';

/** Folder of the last fleet run's report, beside the config file (or in the working folder). */
export const FLEET_REPORT_DIR = '.strata-fleet';

/** The `--json` document of a fleet run, also written to `.strata-fleet/last-run.json`. */
export interface FleetReportDocument {
  command: string;
  fleet: { spec: string; tenants: number; selected: number; concurrency: number; canary: number; shard: string | null };
  summary: { ok: number; failed: number; skipped: number; migrations: number; durationMs: number; migrationsPerSecond: number };
  stoppedBy: FleetStop | null;
  /** Names of the failed tenants. */
  failed: string[];
  tenants: FleetTenantResult[];
}

/** Where the report of a run (of one shard) goes: shards on one machine never overwrite each other. */
export function reportPath(base: string, shard: FleetShard | undefined): string {
  return join(base, FLEET_REPORT_DIR, shard ? `last-run.shard-${shard.index}-of-${shard.count}.json` : 'last-run.json');
}

/** Writes the report atomically (temp file, fsync, rename), mode 0600: it names every tenant. */
export function writeFleetReport(path: string, document: FleetReportDocument): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(document, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/**
 * Reads the last run's report for `--only-failed`.
 * @throws StrataError `STRATA_USAGE` when there is none or it cannot be read
 */
export function readFleetReport(path: string): FleetReportDocument {
  let parsed: FleetReportDocument;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as FleetReportDocument;
  } catch (error) {
    throw new StrataError('STRATA_USAGE', `--only-failed needs the last fleet run's report, and ${path} cannot be read`, {
      hint: 'Run the fleet once without --only-failed (with the same --shard, if any)',
      cause: error,
    });
  }
  if (!parsed || !Array.isArray(parsed.tenants)) {
    throw new StrataError('STRATA_USAGE', `The fleet report ${path} has no tenants list`, {
      hint: 'Run the fleet once without --only-failed',
    });
  }
  return parsed;
}

/** Tenants the last run did not finish: failed ones and those it never ran. */
export function failedNames(document: FleetReportDocument): Set<string> {
  return new Set(document.tenants.filter((t) => t.status !== 'ok').map((t) => t.name));
}
