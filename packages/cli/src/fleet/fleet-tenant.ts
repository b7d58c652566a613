import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createMigrator, type MigrationSource, type Migrator, type MigratorEvent } from '@strata/core';
import { type CommandLine, countOption, stringOption } from '../argv.js';
import { type DialectLoaders, resolveDialect } from '../dialect-loader.js';
import { exitCodeForProblems } from '../exit-codes.js';
import { type BackupLoader, createBackupHooks } from '../internal/backup-wiring.js';
import type { Settings } from '../settings.js';
import { slugify } from '../slugify.js';
import type { TenantOutcome } from './fleet-run.js';
import type { FleetTenant } from './fleet-targets.js';

/** What running the command on one tenant needs: the same whether in the main thread or a worker. */
export interface TenantRunContext {
  command: string;
  line: CommandLine;
  settings: Settings;
  sources: readonly MigrationSource[];
  env: Record<string, string | undefined>;
  dialectLoaders: DialectLoaders | undefined;
  backupLoader: BackupLoader | undefined;
  backups: boolean;
  downTo: string | undefined;
  downSteps: number | undefined;
  dryRun: boolean;
  signal: AbortSignal | undefined;
  /** A migration applied or reverted (counted for the report and the progress line). */
  onStep(outcome: 'applied' | 'reverted'): void;
  warn(text: string): void;
  debug(text: string): void;
}

/** Runs the command on one tenant with a migrator of its own, closed after. */
export async function runTenant(tenant: FleetTenant, context: TenantRunContext): Promise<TenantOutcome> {
  const { settings, command, line } = context;
  const tenantSettings: Settings = {
    ...settings,
    url: tenant.url,
    urlSource: 'flag',
    dialectObject: undefined,
    fallbackUrl: undefined,
    schema: tenant.schema ?? settings.schema,
    backup: { ...settings.backup, dir: join(settings.backup.dir, 'fleet', tenantFolder(tenant.name)) },
  };
  const resolved = await resolveDialect(tenantSettings, context.dialectLoaders);
  const onEvent = (event: MigratorEvent) => {
    if (event.type === 'step-end' && event.outcome !== 'skipped') context.onStep(event.outcome === 'applied' ? 'applied' : 'reverted');
  };
  const migrator: Migrator = createMigrator({
    dialect: resolved.dialect,
    sources: context.sources,
    ...(settings.lockTimeoutMs !== undefined ? { lockTimeoutMs: settings.lockTimeoutMs } : {}),
    ...(context.backups
      ? {
          hooks: createBackupHooks({
            targets: [resolved.primary],
            settings: tenantSettings,
            env: context.env,
            loader: context.backupLoader,
            tenant: tenant.name,
            onSkip: (reason) => context.warn(`no backup for ${tenant.name}: ${reason}`),
            onBackup: (id) => context.debug(`backup ${id} of ${tenant.name} taken and verified`),
            onPruneError: (error) => context.warn(`warning: pruning old backups of ${tenant.name} failed: ${(error as Error).message}`),
          }),
        }
      : {}),
    onEvent,
  });
  const flag = (name: string) => line.options[name] === true;
  const to = stringOption(line.options, 'to');
  const signal = context.signal ? { signal: context.signal } : {};
  try {
    switch (command) {
      case 'up': {
        const report = await migrator.up({
          ...(to ? { to } : {}),
          dryRun: context.dryRun,
          singleTransaction: flag('single-transaction'),
          ...(flag('allow-out-of-order') ? { allowOutOfOrder: true } : {}),
          skipHooks: !context.backups,
          ...signal,
        });
        return { applied: report.steps.filter((s) => s.outcome === 'applied').length, exitCode: 0 };
      }
      case 'down': {
        const reach = context.downTo ? { to: context.downTo } : { steps: context.downSteps! };
        const report = await migrator.down({ ...reach, dryRun: context.dryRun, skipHooks: !context.backups, ...signal });
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
  return first
    ? { ...outcome, exitCode, error: { code: first.code, message: first.message, hint: first.hint ?? null } }
    : { ...outcome, exitCode };
}

/** A source whose `load` runs once: 1,000 tenants read the migrations folder once. */
export function memoizeSource(source: MigrationSource): MigrationSource {
  let loaded: ReturnType<MigrationSource['load']> | undefined;
  return {
    description: source.description,
    load: () => (loaded ??= source.load()),
  };
}
