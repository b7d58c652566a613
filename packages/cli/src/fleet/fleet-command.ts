import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createMigrator, type MigrationSource, type Migrator, type MigratorEvent, StrataError } from '@strata/core';
import { type CommandLine, countOption, stringOption } from '../argv.js';
import type { FleetConfig } from '../define-config.js';
import { type DialectLoaders, resolveDialect } from '../dialect-loader.js';
import { exitCodeForProblems } from '../exit-codes.js';
import { type BackupLoader, createBackupHooks } from '../internal/backup-wiring.js';
import { confirm } from '../internal/confirm.js';
import type { Output, WritableLike } from '../output.js';
import { toJsonDocument } from '../render/json.js';
import type { Settings } from '../settings.js';
import { slugify } from '../slugify.js';
import { redactUrl, urlPasswords } from '../target.js';
import { FLEET_COMMANDS } from './fleet-options.js';
import { failedNames, readFleetReport, reportPath, writeFleetReport, type FleetReportDocument } from './fleet-report.js';
import { type FleetRunReport, runFleet, type TenantOutcome, type TenantProgress } from './fleet-run.js';
import { parseShard, selectShard } from './fleet-shard.js';
import { type FleetTenant, listTenants, parseFleetSpec } from './fleet-targets.js';


/** Upper bound of the default concurrency: beyond it a 2–8 core runner gains nothing. */
const MAX_DEFAULT_CONCURRENCY = 16;

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
}

/**
 * Runs `up`, `down` (`--to` or `--steps`), `status`, `plan` or `validate` over every tenant of a fleet: one
 * migrator (dialect, connection, lock) per tenant, nothing shared but the loaded migrations.
 * Exit 0 when every tenant succeeded, 1 when any failed or was not run, 130/143 when interrupted.
 */
export async function runFleetCommand(options: FleetCommandOptions): Promise<number> {
  const { out, line, settings, command } = options;
  if (!FLEET_COMMANDS.has(command)) {
    throw new StrataError('STRATA_USAGE', `strata ${command} does not run over a fleet`, { hint: `--fleet works with ${[...FLEET_COMMANDS].join(', ')}` });
  }
  if (line.args.length) throw new StrataError('STRATA_USAGE', `Unexpected argument ${JSON.stringify(line.args[0])} for strata ${command}`, { hint: `Run \`strata ${command} --help\`` });
  const flag = (name: string) => line.options[name] === true;
  const opt = (name: string) => stringOption(line.options, name);
  const config = options.fleetConfig ?? {};

  const concurrencyFlag = countOption(line.options, 'concurrency') ?? config.concurrency;
  const canary = opt('canary') !== undefined ? Number(opt('canary')) : config.canary ?? 0;
  if (!Number.isInteger(canary) || canary < 0) throw new StrataError('STRATA_USAGE', `Option --canary must be a whole number, not ${JSON.stringify(opt('canary'))}`, { hint: 'strata up --fleet tenants.txt --canary 5' });
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
  if (command === 'down' && downTo && downSteps) throw new StrataError('STRATA_USAGE', 'Give --to or --steps, not both', { hint: 'strata down --fleet tenants.txt --steps 1 --yes, or --to app@1.2.0 --yes' });

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
    out.info(`--only-failed: ${tenants.length} tenant${tenants.length === 1 ? '' : 's'} of the last ${last.command} run (${reportFile}) not finished`);
  }
  for (const tenant of tenants) out.addSecrets(urlPasswords(tenant.url));

  const concurrency = concurrencyFlag ?? (await defaultConcurrency(tenants, settings, options));
  out.debug(`fleet: ${tenants.length} of ${total} tenants, concurrency ${concurrency}${canary ? `, canary ${canary}` : ''}${shard ? `, shard ${shard.index}/${shard.count}` : ''}`);

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
    out.warn(flag('no-backup') ? 'no backup: skipped by --no-backup' : 'no backup: fleet runs take no pre-run backup (set backup.enabled: true in the config for one per tenant)');
  }

  // The migrations are read once and shared: every tenant's migrator gets the same loaded set.
  const shared = options.sources.map(memoizeSource);
  const progress = createProgress(out, tenants.length, command);
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
      else out.info(`failed  ${name}${schema}  ${result.error?.code ?? ''}: ${printable(firstLine(result.error?.message ?? ''))}${result.applied + result.reverted ? ` (${what} before the failure)` : ''}`);
    },
    runTenant: (tenant, signal, counted) =>
      runTenant(tenant, { ...options, sources: shared, backups, downTo, downSteps, dryRun, signal, onStep: () => progress.step(), counted }),
  });
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

/** Runs the command on one tenant with a migrator of its own, closed after. */
async function runTenant(
  tenant: FleetTenant,
  options: FleetCommandOptions & { backups: boolean; downTo: string | undefined; downSteps: number | undefined; dryRun: boolean; onStep: () => void; counted: TenantProgress },
): Promise<TenantOutcome> {
  const { settings, command, line } = options;
  const tenantSettings: Settings = {
    ...settings,
    url: tenant.url,
    urlSource: 'flag',
    dialectObject: undefined,
    fallbackUrl: undefined,
    schema: tenant.schema ?? settings.schema,
    backup: { ...settings.backup, dir: join(settings.backup.dir, 'fleet', tenantFolder(tenant.name)) },
  };
  const resolved = await resolveDialect(tenantSettings, options.dialectLoaders);
  const onEvent = (event: MigratorEvent) => {
    if (event.type === 'step-end' && event.outcome !== 'skipped') {
      if (event.outcome === 'applied') options.counted.applied++;
      else options.counted.reverted++;
      options.onStep();
    }
  };
  const migrator: Migrator = createMigrator({
    dialect: resolved.dialect,
    sources: options.sources,
    ...(settings.lockTimeoutMs !== undefined ? { lockTimeoutMs: settings.lockTimeoutMs } : {}),
    ...(options.backups
      ? {
          hooks: createBackupHooks({
            targets: [resolved.primary],
            settings: tenantSettings,
            env: options.env,
            loader: options.backupLoader,
            tenant: tenant.name,
            onSkip: (reason) => options.out.warn(`no backup for ${tenant.name}: ${reason}`),
            onBackup: (id) => options.out.debug(`backup ${id} of ${tenant.name} taken and verified`),
            onPruneError: (error) => options.out.warn(`warning: pruning old backups of ${tenant.name} failed: ${(error as Error).message}`),
          }),
        }
      : {}),
    onEvent,
  });
  const flag = (name: string) => line.options[name] === true;
  const to = stringOption(line.options, 'to');
  try {
    switch (command) {
      case 'up': {
        const report = await migrator.up({
          ...(to ? { to } : {}),
          dryRun: options.dryRun,
          singleTransaction: flag('single-transaction'),
          ...(flag('allow-out-of-order') ? { allowOutOfOrder: true } : {}),
          skipHooks: !options.backups,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return { applied: report.steps.filter((s) => s.outcome === 'applied').length, exitCode: 0 };
      }
      case 'down': {
        const reach = options.downTo ? { to: options.downTo } : { steps: options.downSteps! };
        const report = await migrator.down({ ...reach, dryRun: options.dryRun, skipHooks: !options.backups, ...(options.signal ? { signal: options.signal } : {}) });
        return { reverted: report.steps.filter((s) => s.outcome === 'reverted').length, exitCode: 0 };
      }
      case 'status': {
        const report = await migrator.status();
        const pending = report.migrations.filter((m) => m.state === 'pending').length;
        const applied = report.migrations.filter((m) => m.state === 'applied').length;
        return withProblems({ applied, pending, exitCode: 0 }, report.problems);
      }
      case 'validate': {
        const report = await migrator.validate();
        return withProblems({ exitCode: 0 }, report.problems);
      }
      default: {
        const steps = countOption(line.options, 'steps');
        const report = await migrator.plan({
          direction: flag('down') || steps !== undefined ? 'down' : 'up',
          ...(to ? { to } : {}),
          ...(steps ? { steps } : {}),
          allowOutOfOrder: flag('allow-out-of-order'),
        });
        return withProblems({ pending: report.steps.length, exitCode: 0 }, report.problems);
      }
    }
  } finally {
    await migrator.close().catch(() => {});
  }
}

/** A backup folder per tenant: readable, and unique even when two names slugify alike. */
function tenantFolder(name: string): string {
  return `${slugify(name).slice(0, 40) || 'tenant'}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

function withProblems(outcome: TenantOutcome, problems: readonly { code: string; message: string; hint?: string }[]): TenantOutcome {
  const exitCode = exitCodeForProblems(problems);
  const first = problems[0];
  return first ? { ...outcome, exitCode, error: { code: first.code, message: first.message, hint: first.hint ?? null } } : { ...outcome, exitCode };
}

/** A source whose `load` runs once: 1,000 tenants read the migrations folder once. */
function memoizeSource(source: MigrationSource): MigrationSource {
  let loaded: ReturnType<MigrationSource['load']> | undefined;
  return {
    description: source.description,
    load: () => (loaded ??= source.load()),
  };
}

/**
 * Default concurrency: the number of cores (better-sqlite3 runs on the main thread, so SQLite
 * gains little beyond it); for PostgreSQL twice the cores, capped at half the server's free
 * connections (`max_connections` − reserved − in use) so the application keeps its share.
 */
async function defaultConcurrency(tenants: readonly FleetTenant[], settings: Settings, options: FleetCommandOptions): Promise<number> {
  const cores = availableParallelism();
  const first = tenants[0];
  if (!first || !/^postgres(ql)?:\/\//i.test(first.url)) return Math.min(MAX_DEFAULT_CONCURRENCY, Math.max(1, cores));
  const wanted = Math.min(MAX_DEFAULT_CONCURRENCY, cores * 2);
  try {
    const resolved = await resolveDialect({ ...settings, url: first.url, fallbackUrl: undefined, dialectObject: undefined, schema: undefined }, options.dialectLoaders);
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
    out.progress(`fleet ${command}: ${done}/${total} done, ${failed} failed, ${running} running · ${rate.toFixed(0)} migrations/s${eta !== undefined ? ` · ETA ${eta}s` : ''}`);
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
  const line = `fleet ${document.command}: ${summary.ok} ok, ${summary.failed} failed, ${summary.skipped} skipped of ${document.fleet.selected} tenant${document.fleet.selected === 1 ? '' : 's'}` +
    (summary.migrations ? ` — ${summary.migrations} migrations in ${seconds} s (${summary.migrationsPerSecond}/s)` : ` in ${seconds} s`);
  if (summary.failed || summary.skipped) out.warn(line);
  else out.info(line);
  if (report.stoppedBy === 'canary') out.warn(`stopped: a canary tenant failed; ${summary.skipped} tenants were not run`);
  if (report.stoppedBy === 'fail-fast') out.warn(`stopped by --fail-fast after the first failure; ${summary.skipped} tenants were not run`);
  if (report.stoppedBy === 'interrupted') out.warn(`interrupted; ${summary.skipped} tenants were not run`);
  if (summary.failed) {
    const shown = document.failed.slice(0, 50).map(printable);
    out.warn(`failed tenants: ${shown.join(', ')}${document.failed.length > shown.length ? ` and ${document.failed.length - shown.length} more` : ''}`);
    out.warn('hint: fix the cause, then rerun with --only-failed (each tenant applies only what it still lacks)');
  }
}
