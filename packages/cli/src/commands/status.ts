import type { FailoverInfo, Migrator, Problem } from '@strata/core';

export interface StatusCommandOptions {
  migrator: Migrator;
}

/** One migration as `status --json` shows it. */
export interface StatusMigration {
  id: string;
  module: string;
  version: string;
  name: string;
  /** `not-applicable`: a dialect-only migration of another dialect (never pending here). */
  state: 'applied' | 'pending' | 'changed' | 'missing' | 'failed' | 'running' | 'not-applicable';
  /** The file that runs on this target (a dialect file when there is one); null for in-memory modules' rows that are missing. */
  file: string | null;
  appliedAt: string | null;
  checksum: string | null;
}

/** A problem as every `--json` document shows it. */
export interface ProblemResult {
  code: string;
  message: string;
  hint: string | null;
  migrationId: string | null;
  file: string | null;
}

export interface StatusResult {
  target: string;
  dialect: string;
  migrations: StatusMigration[];
  problems: ProblemResult[];
  failover?: FailoverInfo;
}

/** Converts core problems to the stable JSON shape. */
export function toProblemResults(problems: readonly Problem[]): ProblemResult[] {
  return problems.map((p) => ({
    code: p.code,
    message: p.message,
    hint: p.hint ?? null,
    migrationId: p.migrationId ?? null,
    file: p.file ?? null,
  }));
}

/** Every migration and its state, and every problem found; reads without the lock. */
export async function status(options: StatusCommandOptions): Promise<StatusResult> {
  const report = await options.migrator.status();
  return {
    target: report.target,
    dialect: report.dialect,
    migrations: report.migrations.map((m) => ({
      id: m.id,
      module: m.module,
      version: m.version,
      name: m.name,
      state: m.state,
      file: m.file ?? null,
      appliedAt: m.appliedAt ?? null,
      checksum: m.checksum ?? m.appliedChecksum ?? null,
    })),
    problems: toProblemResults(report.problems),
    ...(report.failover ? { failover: report.failover } : {}),
  };
}
