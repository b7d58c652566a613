import { type Dialect, StrataError } from '@strata/core';
import { countOption } from './argv.js';
import type { CommandContext } from './command-context.js';
import { resolveDialect } from './dialect-loader.js';
import { parseAge } from './duration.js';
import { appliedVersions, createLockHolder, createManagerFor, loadBackupPackage, recordEvent } from './internal/backup-wiring.js';
import { backupProgressLine } from './output.js';
import * as text from './render/text.js';
import type { Settings } from './settings.js';

/** `strata backup <create|list|verify|restore|prune>` on the configured target. */
export async function backupCommand(run: CommandContext, settings: Settings): Promise<number> {
  const [action, id, ...rest] = run.line.args;
  const actions = ['create', 'list', 'verify', 'restore', 'prune'] as const;
  if (!action || !(actions as readonly string[]).includes(action)) {
    throw new StrataError('STRATA_USAGE', action ? `Unknown backup action ${JSON.stringify(action)}` : 'strata backup needs an action', {
      hint: `One of: ${actions.join(', ')} (strata backup --help)`,
    });
  }
  if (rest.length || (id !== undefined && action !== 'verify' && action !== 'restore'))
    run.noArgs(action === 'verify' || action === 'restore' ? 2 : 1);
  const pkg = await loadBackupPackage(run.options.backupLoader);
  const lockTimeoutMs = settings.lockTimeoutMs ?? 60_000;
  // The target's dialect hands out the backup provider; it connects only to read versions and write the event.
  let dialect: Promise<Dialect> | undefined;
  const targetDialect = () =>
    (dialect ??= resolveDialect({ ...settings, fallbackUrl: undefined }, run.options.dialectLoaders).then((resolved) => resolved.dialect));
  try {
    const manager = await createManagerFor(await targetDialect(), settings, pkg);
    return await backupAction(run, action as (typeof actions)[number], id, settings, manager, pkg, targetDialect, lockTimeoutMs);
  } finally {
    if (dialect) await dialect.then((d) => d.destroy?.()).catch(() => {});
  }
}

async function backupAction(
  run: CommandContext,
  action: 'create' | 'list' | 'verify' | 'restore' | 'prune',
  id: string | undefined,
  settings: Settings,
  manager: Awaited<ReturnType<typeof createManagerFor>>,
  pkg: Awaited<ReturnType<typeof loadBackupPackage>>,
  targetDialect: () => Promise<Dialect>,
  lockTimeoutMs: number,
): Promise<number> {
  const { out } = run;
  const maxAge = run.opt('max-age');
  const { backup } = await import('./commands/backup.js');
  const lock = createLockHolder(targetDialect, lockTimeoutMs);
  const result = await backup({
    underLock: (work) => lock.run(work),
    lockTimeoutMs,
    onProgress: backupProgressLine(out),
    onProgressEnd: () => out.progress(undefined),
    versions: async () => {
      try {
        return await appliedVersions(await targetDialect(), lockTimeoutMs);
      } catch (error) {
        out.debug(`schema versions unavailable: ${(error as Error).message}`);
        return {};
      }
    },
    record: async (entry) => {
      try {
        const event = pkg.backupEvent(entry.manifest, entry.outcome, {
          action: entry.action,
          ...(entry.durationMs !== undefined ? { durationMs: entry.durationMs } : {}),
          ...(entry.error !== undefined ? { error: entry.error } : {}),
          ...(entry.details ? { details: entry.details } : {}),
          secrets: settings.secrets,
        });
        await recordEvent(await targetDialect(), event, lockTimeoutMs, lock.session);
        return true;
      } catch (error) {
        const message = `the ${entry.action} event could not be written to the history: ${(error as Error).message}`;
        if (entry.outcome === 'ok') out.warn(`warning: ${message}`);
        else out.debug(message);
        return false;
      }
    },
    action,
    manager,
    ...(id ? { id } : {}),
    ...(run.opt('into') ? { into: run.opt('into')! } : {}),
    ...(run.flag('from-other-target') ? { fromOtherTarget: true } : {}),
    ...(run.flag('all') ? { all: true } : {}),
    ...(run.flag('dry-run') ? { dryRun: true } : {}),
    ...(countOption(run.line.options, 'keep') ? { keep: countOption(run.line.options, 'keep')! } : {}),
    ...(maxAge ? { maxAgeMs: parseAge(maxAge) } : {}),
    ...(run.options.signal ? { signal: run.options.signal } : {}),
    confirm: (question) =>
      run.confirm(question, `Refusing to restore over the live database ${manager.provider.database} without confirmation`),
  });
  run.emit(result, () => text.renderBackup(out, result));
  return result.action === 'verify' && !result.result.ok ? 6 : 0;
}
