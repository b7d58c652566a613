import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { type MigrationSource, StrataError } from '@strata/core';
import { type CommandLine, countOption, stringOption } from '../argv.js';
import type { FleetConfig } from '../define-config.js';
import { type DialectLoaders, resolveDialect } from '../dialect-loader.js';
import type { BackupLoader } from '../internal/backup-wiring.js';
import { confirm } from '../internal/confirm.js';
import type { Output, WritableLike } from '../output.js';
import { toJsonDocument } from '../render/json.js';
import type { Settings } from '../settings.js';
import { parseTargetUrl, redactUrl, urlPasswords } from '../target.js';
import { FLEET_COMMANDS } from './fleet-options.js';
import { failedNames, readFleetReport, reportPath, writeFleetReport, type FleetReportDocument } from './fleet-report.js';
import { type FleetRunReport, runFleet } from './fleet-run.js';
import { parseShard, selectShard } from './fleet-shard.js';
import { type FleetTenant, listTenants, parseFleetSpec } from './fleet-targets.js';
import { memoizeSource, runTenant, type TenantRunContext } from './fleet-tenant.js';
import { createWorkerPool, type FleetWorkerSetup, type WorkerPool } from './fleet-workers.js';

/** Upper bound of the default PostgreSQL concurrency: sessions one fleet opens on a server unasked. */
const MAX_DEFAULT_CONCURRENCY = 16;
/** Upper bound of the default SQLite concurrency (worker threads: memory grows with each). */
const MAX_DEFAULT_SQLITE_THREADS = 8;

/** What the fleet command needs from the CLI run. */
export interface FleetCommandOptions {
  command: string;
  line: CommandLine;
  /** The `--fleet` value or config `fleet.targets`. */
  spec: string;
  fleetConfig: FleetConfig | undefined;
  settings: Settings;
  sources: readonly MigrationSource[];
  out: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  isTTY: boolean;
  stdin: NodeJS.ReadableStream | undefined;
  prompt: WritableLike;
  dialectLoaders: DialectLoaders | undefined;
  backupLoader: BackupLoader | undefined;
  signal: AbortSignal | undefined;
  /** The checksum cache folder the sources use (workers build their own sources with it). */
  checksumCache?: string | false;
  /** A script that runs {@link runFleetWorker} when started as a worker (the bin's main.cjs); none: no threads. */
  workerEntry?: string | undefined;
}

/**
 * Runs `up`, `down` (`--to` or `--steps`), `status`, `plan` or `validate` over every tenant of a fleet: one
 * migrator (dialect, connection, lock) per tenant, nothing shared but the loaded migrations.
 * Exit 0 when every tenant succeeded, 1 when any failed or was not run, 130/143 when interrupted.
 */
export async function runFleetCommand(options: FleetCommandOptions): Promise<number> {
  const { out, line, settings, command } = options;
  if (!FLEET_COMMANDS.has(command)) {
    throw new StrataError('STRATA_USAGE', `strata ${command} does not run over a fleet`, {
      hint: `--fleet works with ${[...FLEET_COMMANDS].join(', ')}`,
    });
  }
  if (line.args.length)
    throw new StrataError('STRATA_USAGE', `Unexpected argument ${JSON.stringify(line.args[0])} for strata ${command}`, {
      hint: `Run \`strata ${command} --help\``,
    });
  const flag = (name: string) => line.options[name] === true;
  const opt = (name: string) => stringOption(line.options, name);
  const config = options.fleetConfig ?? {};

  const concurrencyFlag = countOption(line.options, 'concurrency') ?? config.concurrency;
  const canary = opt('canary') !== undefined ? Number(opt('canary')) : (config.canary ?? 0);
  if (!Number.isInteger(canary) || canary < 0)
    throw new StrataError('STRATA_USAGE', `Option --canary must be a whole number, not ${JSON.stringify(opt('canary'))}`, {
      hint: 'strata up --fleet tenants.txt --canary 5',
    });
  const failFast = flag('fail-fast') || config.failFast === true;
  const shard = opt('shard') !== undefined ? parseShard(opt('shard')!) : undefined;
  const downTo = opt('to');
  const downSteps = countOption(line.options, 'steps');
  // A bare `down` means one step on one target; over a fleet the reach must be said: --to names
  // the same version everywhere, --steps n reverts each tenant's own last n (which may differ).
  if (command === 'down' && !downTo && !downSteps) {
    throw new StrataError('STRATA_USAGE', 'strata down over a fleet needs --to or --steps', {
      hint: 'strata down --fleet tenants.txt --to app@1.2.0 --yes (the same version everywhere), or --steps 1 (each tenant reverts its own last migration)',
    });
  }
  if (command === 'down' && downTo && downSteps)
    throw new StrataError('STRATA_USAGE', 'Give --to or --steps, not both', {
      hint: 'strata down --fleet tenants.txt --steps 1 --yes, or --to app@1.2.0 --yes',
    });

  // Tenants: the spec, then --only-failed, then the shard.
  const spec = parseFleetSpec(options.spec, options.cwd);
  let tenants = await listTenants(spec, {
    cwd: options.cwd,
    controlUrl: settings.url,
    openControl: async () => {
      const resolved = await resolveDialect({ ...settings, fallbackUrl: undefined, dialectObject: undefined }, options.dialectLoaders);
      const session = await resolved.dialect.connect({ purpose: 'read', lockTimeoutMs: settings.lockTimeoutMs ?? 60_000 });
      return {
        dialect: resolved.dialect,
        query: (sql, params) => session.query(sql, params),
        close: async () => {
          await session.close();
          await resolved.dialect.destroy?.();
        },
      };
    },
  });
  const total = tenants.length;
  // A spec that matches nothing is almost always a typo: never report it as a migrated fleet.
  if (total === 0) {
    throw new StrataError('STRATA_USAGE', `The fleet ${JSON.stringify(redactUrl(options.spec))} has no tenant`, {
      hint: 'Check the glob, schema pattern, query or list file (relative paths are relative to the working folder)',
    });
  }
  if (shard) tenants = selectShard(tenants, shard);
  const reportBase = settings.configPath ? dirname(settings.configPath) : options.cwd;
  const reportFile = reportPath(reportBase, shard);
  if (flag('only-failed')) {
    const last = readFleetReport(reportFile);
    const names = failedNames(last);
    tenants = tenants.filter((tenant) => names.has(tenant.name));
    out.info(
      `--only-failed: ${tenants.length} tenant${tenants.length === 1 ? '' : 's'} of the last ${last.command} run (${reportFile}) not finished`,
    );
  }
  for (const tenant of tenants) out.addSecrets(urlPasswords(tenant.url));

  const concurrency = concurrencyFlag ?? (await defaultConcurrency(tenants, settings, options));
  out.debug(
    `fleet: ${tenants.length} of ${total} tenants, concurrency ${concurrency}${canary ? `, canary ${canary}` : ''}${shard ? `, shard ${shard.index}/${shard.count}` : ''}`,
  );

  const changes = command === 'up' || command === 'down';
  const dryRun = flag('dry-run');
  if (command === 'down' && !dryRun && tenants.length) {
    const reach = downTo ? `migrations after ${downTo}` : `each tenant's last ${downSteps} migration${downSteps === 1 ? '' : 's'}`;
    await confirm(
      `Revert ${reach} on ${tenants.length} tenant${tenants.length === 1 ? '' : 's'}?`,
      `Refusing to revert ${reach} on ${tenants.length} tenants without confirmation`,
      { yes: flag('yes'), isTTY: options.isTTY, stdin: options.stdin, prompt: options.prompt },
    );
  }
  // Backups: none by default over a fleet (a pre-run backup of 1,000 tenants is a backup job of its
  // own); config backup.enabled: true takes one per tenant, in a folder of its own.
  const backups = changes && !dryRun && !flag('no-backup') && settings.backup.enabled === true;
  if (changes && !dryRun && !backups) {
    out.warn(
      flag('no-backup')
        ? 'no backup: skipped by --no-backup'
        : 'no backup: fleet runs take no pre-run backup (set backup.enabled: true in the config for one per tenant)',
    );
  }

  // The migrations are read once and shared: every tenant's migrator gets the same loaded set.
  const shared = options.sources.map(memoizeSource);
  const progress = createProgress(out, tenants.length, command);
  const context: TenantRunContext = {
    command,
    line,
    settings,
    sources: shared,
    env: options.env,
    dialectLoaders: options.dialectLoaders,
    backupLoader: options.backupLoader,
    backups,
    downTo,
    downSteps,
    dryRun,
    signal: options.signal,
    onStep: () => progress.step(),
    warn: (text) => out.warn(text),
    debug: (text) => out.debug(text),
  };
  const pool = startWorkers(options, context, tenants, concurrency);
  const report = await runFleet({
    tenants,
    concurrency,
    canary,
    failFast,
    ...(options.signal ? { signal: options.signal } : {}),
    redact: redactUrl,
    onStart: () => progress.start(),
    onDone: (result) => {
      progress.done(result);
      const what = describeOutcome(command, result);
      const schema = result.schema && result.schema !== result.name ? ` [${result.schema}]` : '';
      const name = printable(result.name);
      if (result.status === 'ok') out.info(`ok      ${name}${schema}  ${what} (${result.durationMs} ms)`);
      else
        out.info(
          `failed  ${name}${schema}  ${result.error?.code ?? ''}: ${printable(firstLine(result.error?.message ?? ''))}${result.applied + result.reverted ? ` (${what} before the failure)` : ''}`,
        );
    },
    runTenant: (tenant, _signal, counted) =>
      pool
        ? pool.run(tenant, counted)
        : runTenant(tenant, {
            ...context,
            onStep: (outcome) => {
              counted[outcome]++;
              progress.step();
            },
          }),
  }).finally(() => pool?.close());
  progress.end();

  const document = buildDocument(command, options.spec, tenants.length, total, concurrency, canary, shard, report);
  try {
    // Passwords are scrubbed from the file as from every output (the report outlives the run).
    writeFleetReport(reportFile, JSON.parse(out.redact(JSON.stringify(document))) as FleetReportDocument);
  } catch (error) {
    out.warn(`warning: could not write the fleet report ${reportFile}: ${(error as Error).message}`);
  }
  if (out.json) out.document(toJsonDocument(document));
  renderSummary(out, document, report);
  if (report.stoppedBy === 'interrupted') {
    const signal = (options.signal?.reason as { signal?: NodeJS.Signals } | undefined)?.signal;
    return signal === 'SIGTERM' ? 143 : 130;
  }
  return document.summary.failed > 0 || document.summary.skipped > 0 ? 1 : 0;
}

/**
 * Worker threads for SQLite `up`/`down` fleets of more than one tenant at a time (fleet-workers.ts),
 * when the host gave an entry script and the settings can be copied to a thread (a config that
 * holds functions cannot). PostgreSQL tenants stay on the main thread: their waits already overlap.
 * `STRATA_FLEET_THREADS=0` keeps everything on the main thread.
 */
function startWorkers(
  options: FleetCommandOptions,
  context: TenantRunContext,
  tenants: readonly FleetTenant[],
  concurrency: number,
): WorkerPool | undefined {
  const { out, command } = options;
  const size = Math.min(concurrency, tenants.length);
  if (!options.workerEntry || size < 2 || (command !== 'up' && command !== 'down') || options.env.STRATA_FLEET_THREADS === '0')
    return undefined;
  const sqlite = tenants.every((tenant) => {
    try {
      return parseTargetUrl(tenant.url, options.cwd).kind === 'sqlite';
    } catch {
      return false;
    }
  });
  if (!sqlite) return undefined;
  const setup: FleetWorkerSetup = {
    strataFleetWorker: true,
    command,
    line: context.line,
    settings: { ...context.settings, dialectObject: undefined },
    cwd: options.cwd,
    env: options.env,
    checksumCache: options.checksumCache ?? false,
    backups: context.backups,
    downTo: context.downTo,
    downSteps: context.downSteps,
    dryRun: context.dryRun,
  };
  try {
    structuredClone(setup);
  } catch {
    out.debug('fleet: the settings cannot be copied to worker threads; tenants run on the main thread');
    return undefined;
  }
  out.debug(`fleet: ${size} worker threads`);
  return createWorkerPool({
    entry: options.workerEntry,
    setup,
    size,
    signal: options.signal,
    onStep: context.onStep,
    warn: context.warn,
    debug: context.debug,
  });
}

/**
 * Default concurrency. SQLite: twice the cores, at most {@link MAX_DEFAULT_SQLITE_THREADS} — its
 * tenants run on worker threads that mostly wait on fsync, so more threads than cores pay (bench
 * W5: 4 threads beat 2 on 2 cores; 8 gained nothing more), and each costs a driver and a copy of
 * the migrations in memory. PostgreSQL: {@link MAX_DEFAULT_CONCURRENCY}, capped at half the
 * server's free connections (`max_connections` − reserved − in use) so the application keeps its
 * share (W5, 200 schemas: 16 sessions beat 4 by 1.5–1.7× on one server).
 */
async function defaultConcurrency(tenants: readonly FleetTenant[], settings: Settings, options: FleetCommandOptions): Promise<number> {
  const cores = availableParallelism();
  const first = tenants[0];
  if (!first || !/^postgres(ql)?:\/\//i.test(first.url)) return Math.min(MAX_DEFAULT_SQLITE_THREADS, Math.max(1, cores * 2));
  // The server, not this process, is the bound (a tenant costs the client little CPU): no cores here.
  const wanted = MAX_DEFAULT_CONCURRENCY;
  try {
    const resolved = await resolveDialect(
      { ...settings, url: first.url, fallbackUrl: undefined, dialectObject: undefined, schema: undefined },
      options.dialectLoaders,
    );
    const session = await resolved.dialect.connect({ purpose: 'read', lockTimeoutMs: 10_000 });
    try {
      const [row] = await session.query<{ free: number | string }>(
        "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int - (SELECT count(*) FROM pg_stat_activity)::int AS free",
      );
      const free = Number(row?.free ?? 0);
      options.out.debug(`fleet: ${free} free connections on the first tenant's server`);
      return Math.max(1, Math.min(wanted, Math.floor(free / 2)));
    } finally {
      await session.close();
      await resolved.dialect.destroy?.();
    }
  } catch {
    // Unreachable: the tenant will report it; the concurrency does not matter much then.
    return Math.max(1, Math.min(wanted, 4));
  }
}

/** A name or message for a terminal line: control characters shown as `\\xNN`, never sent raw. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const firstLine = (text: string) => text.split('\n')[0]!;

function describeOutcome(command: string, result: { applied: number; reverted: number; pending: number | null }): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  switch (command) {
    case 'up':
      return `${n(result.applied, 'migration')} applied`;
    case 'down':
      return `${n(result.reverted, 'migration')} reverted`;
    case 'status':
      return `${result.applied} applied, ${result.pending ?? 0} pending`;
    case 'plan':
      return `${n(result.pending ?? 0, 'step')} planned`;
    default:
      return 'valid';
  }
}

/** A terminal progress line: done / failed / running, migrations per second, ETA. */
function createProgress(out: Output, total: number, command: string) {
  const started = performance.now();
  let done = 0;
  let failed = 0;
  let running = 0;
  let steps = 0;
  let last = 0;
  const draw = (force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? steps / seconds : 0;
    const eta = done > 0 ? Math.round(((total - done) * seconds) / done) : undefined;
    out.progress(
      `fleet ${command}: ${done}/${total} done, ${failed} failed, ${running} running · ${rate.toFixed(0)} migrations/s${eta !== undefined ? ` · ETA ${eta}s` : ''}`,
    );
  };
  return {
    start() {
      running++;
      draw();
    },
    step() {
      steps++;
      draw();
    },
    done(result: { status: string }) {
      running--;
      done++;
      if (result.status === 'failed') failed++;
      out.progress(undefined);
      last = 0;
    },
    end() {
      out.progress(undefined);
    },
  };
}

function buildDocument(
  command: string,
  spec: string,
  selected: number,
  total: number,
  concurrency: number,
  canary: number,
  shard: { index: number; count: number } | undefined,
  report: FleetRunReport,
): FleetReportDocument {
  const ok = report.results.filter((r) => r.status === 'ok').length;
  const failed = report.results.filter((r) => r.status === 'failed');
  const skipped = report.results.filter((r) => r.status === 'skipped').length;
  const migrations = command === 'up' || command === 'down' ? report.results.reduce((sum, r) => sum + r.applied + r.reverted, 0) : 0;
  return {
    command,
    fleet: { spec: redactUrl(spec), tenants: total, selected, concurrency, canary, shard: shard ? `${shard.index}/${shard.count}` : null },
    summary: {
      ok,
      failed: failed.length,
      skipped,
      migrations,
      durationMs: report.durationMs,
      migrationsPerSecond: report.durationMs > 0 ? Math.round((migrations * 1000) / report.durationMs) : 0,
    },
    stoppedBy: report.stoppedBy,
    failed: failed.map((r) => r.name),
    tenants: report.results,
  };
}

function renderSummary(out: Output, document: FleetReportDocument, report: FleetRunReport): void {
  const { summary } = document;
  const seconds = (summary.durationMs / 1000).toFixed(1);
  const line =
    `fleet ${document.command}: ${summary.ok} ok, ${summary.failed} failed, ${summary.skipped} skipped of ${document.fleet.selected} tenant${document.fleet.selected === 1 ? '' : 's'}` +
    (summary.migrations ? ` — ${summary.migrations} migrations in ${seconds} s (${summary.migrationsPerSecond}/s)` : ` in ${seconds} s`);
  if (summary.failed || summary.skipped) out.warn(line);
  else out.info(line);
  if (report.stoppedBy === 'canary') out.warn(`stopped: a canary tenant failed; ${summary.skipped} tenants were not run`);
  if (report.stoppedBy === 'fail-fast') out.warn(`stopped by --fail-fast after the first failure; ${summary.skipped} tenants were not run`);
  if (report.stoppedBy === 'interrupted') out.warn(`interrupted; ${summary.skipped} tenants were not run`);
  if (summary.failed) {
    const shown = document.failed.slice(0, 50).map(printable);
    out.warn(
      `failed tenants: ${shown.join(', ')}${document.failed.length > shown.length ? ` and ${document.failed.length - shown.length} more` : ''}`,
    );
    out.warn('hint: fix the cause, then rerun with --only-failed (each tenant applies only what it still lacks)');
  }
}
