import { isStrataError } from '@strata/core';
import { exitCodeFor } from '../exit-codes.js';
import type { FleetTenant } from './fleet-targets.js';

/** What one tenant's command did, as the command reports it. */
export interface TenantOutcome {
  /** Migrations applied by this run (up), or applied in total (status). */
  applied?: number;
  /** Migrations reverted by this run (down). */
  reverted?: number;
  /** Migrations pending (status), or steps planned (plan). */
  pending?: number;
  /** Exit status this tenant alone would have had (0 = ok). */
  exitCode: number;
  /** First problem, for status/validate/plan tenants with problems. */
  error?: { code: string; message: string; hint: string | null };
}

/** Counted by the command while a tenant runs, so a failure still reports what was applied before it. */
export interface TenantProgress {
  applied: number;
  reverted: number;
}

/** One tenant in a fleet report. */
export interface FleetTenantResult {
  name: string;
  /** The tenant's URL with any password redacted. */
  target: string;
  schema: string | null;
  /** `skipped`: not run (a failed canary, `--fail-fast` or an interruption stopped the fleet first). */
  status: 'ok' | 'failed' | 'skipped';
  /** Applied by this run (up, even when a later step failed), or applied in total (status). */
  applied: number;
  /** Reverted by this run (down). */
  reverted: number;
  /** Pending (status) or planned steps (plan); null when not asked. */
  pending: number | null;
  durationMs: number;
  exitCode: number;
  error: { code: string; message: string; hint: string | null } | null;
}

/** Why a fleet stopped before running every tenant. */
export type FleetStop = 'canary' | 'fail-fast' | 'interrupted';

/** Options of {@link runFleet}. */
export interface RunFleetOptions {
  tenants: readonly FleetTenant[];
  /** Tenants run at once. */
  concurrency: number;
  /** Run the first `canary` tenants first; if any fails, run no other. @default 0 */
  canary?: number;
  /** Start no new tenant after a failure. @default false */
  failFast?: boolean;
  /** Aborted on SIGINT/SIGTERM: no new tenant starts; running ones get the signal and roll back. */
  signal?: AbortSignal;
  /** Runs the command on one tenant; a throw is that tenant's failure, never the fleet's. */
  runTenant(tenant: FleetTenant, signal: AbortSignal | undefined, progress: TenantProgress): Promise<TenantOutcome>;
  /** Redacts a URL for the report. */
  redact(url: string): string;
  onStart?(tenant: FleetTenant): void;
  onDone?(result: FleetTenantResult): void;
}

/** A fleet run: one result per tenant in input order, and why it stopped early, if it did. */
export interface FleetRunReport {
  results: FleetTenantResult[];
  stoppedBy: FleetStop | null;
  durationMs: number;
}

/**
 * Runs a command over many tenants with bounded concurrency. Each tenant is independent (its own
 * migrator, connection and lock): a failure is recorded and the others go on, unless `failFast`
 * or a failing canary stops new starts. Never throws for a tenant's error.
 */
export async function runFleet(options: RunFleetOptions): Promise<FleetRunReport> {
  const started = performance.now();
  const results = new Map<string, FleetTenantResult>();
  let stoppedBy: FleetStop | null = null;
  const stopped = () => {
    if (options.signal?.aborted && !stoppedBy) stoppedBy = 'interrupted';
    return stoppedBy !== null;
  };

  const runOne = async (tenant: FleetTenant): Promise<void> => {
    options.onStart?.(tenant);
    const begun = performance.now();
    let result: FleetTenantResult;
    const base = { name: tenant.name, target: options.redact(tenant.url), schema: tenant.schema ?? null };
    const progress: TenantProgress = { applied: 0, reverted: 0 };
    try {
      const outcome = await options.runTenant(tenant, options.signal, progress);
      result = {
        ...base,
        status: outcome.exitCode === 0 ? 'ok' : 'failed',
        applied: outcome.applied ?? progress.applied,
        reverted: outcome.reverted ?? progress.reverted,
        pending: outcome.pending ?? null,
        durationMs: Math.round(performance.now() - begun),
        exitCode: outcome.exitCode,
        error: outcome.error ?? null,
      };
    } catch (error) {
      const signal = (options.signal?.reason as { signal?: NodeJS.Signals } | undefined)?.signal;
      result = {
        ...base,
        status: 'failed',
        applied: progress.applied,
        reverted: progress.reverted,
        pending: null,
        durationMs: Math.round(performance.now() - begun),
        exitCode: exitCodeFor(error, signal),
        error: isStrataError(error)
          ? { code: error.code, message: error.message, hint: error.hint ?? null }
          : { code: 'STRATA_INTERNAL', message: error instanceof Error ? error.message : String(error), hint: null },
      };
    }
    results.set(tenant.name, result);
    if (result.status === 'failed' && options.failFast && !stoppedBy) stoppedBy = 'fail-fast';
    options.onDone?.(result);
  };

  const pool = async (tenants: readonly FleetTenant[]): Promise<void> => {
    let next = 0;
    const worker = async () => {
      while (next < tenants.length && !stopped()) await runOne(tenants[next++]!);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, tenants.length)) }, worker));
  };

  const canary = Math.min(options.canary ?? 0, options.tenants.length);
  if (canary > 0) {
    await pool(options.tenants.slice(0, canary));
    const canaryFailed = options.tenants.slice(0, canary).some((t) => results.get(t.name)?.status === 'failed');
    if (canaryFailed && !stoppedBy) stoppedBy = 'canary';
  }
  if (!stopped()) await pool(options.tenants.slice(canary));

  const ordered = options.tenants.map(
    (tenant) =>
      results.get(tenant.name) ?? {
        name: tenant.name,
        target: options.redact(tenant.url),
        schema: tenant.schema ?? null,
        status: 'skipped' as const,
        applied: 0,
        reverted: 0,
        pending: null,
        durationMs: 0,
        exitCode: 0,
        error: null,
      },
  );
  return { results: ordered, stoppedBy, durationMs: Math.round(performance.now() - started) };
}
