import { countOption, listOption } from './argv.js';
import { exitCodeFor, exitCodeForProblems } from './exit-codes.js';
import * as text from './render/text.js';
import { StrataError } from '@strata/core';
import type { MigratorCommand } from './command-context.js';

// One function per command that runs on a migrator, looked up by name in MIGRATOR_COMMANDS: each
// checks its own arguments, imports its command module on demand (start-up loads only the one
// that runs) and renders its result.

const statusCommand: MigratorCommand = async (run, { migrator, sources, settings }) => {
  const { out } = run;
  run.noArgs();
  const { status } = await import('./commands/status.js');
  const result = await status({ migrator });
  const note =
    sources.missingDefaultFolder && sources.sources.length === 0
      ? `No migrations: ${sources.missingDefaultFolder.shown} does not exist (create one with \`strata init\` or \`strata new <name>\`).`
      : undefined;
  const windows = await (await import('./windows/window-wiring.js')).statusWindows(sources.sources, result, settings, run.env);
  run.emit(windows.length ? { ...result, windows } : result, () => {
    text.renderStatus(out, result, note);
    for (const w of windows) out.info(`${w.migrationId}: ${w.text}`);
  });
  const problemsCode = exitCodeForProblems(result.problems);
  if (problemsCode === 0 && run.flag('fail-on-pending')) {
    const pending = result.migrations.filter((m) => m.state === 'pending').map((m) => m.id);
    if (pending.length) {
      const error = new StrataError(
        'STRATA_PENDING_MIGRATIONS',
        `${pending.length} migration${pending.length === 1 ? ' is' : 's are'} pending: ${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', …' : ''}`,
        {
          hint: 'Run `strata up` (status --fail-on-pending exits 3 until nothing is pending)',
        },
      );
      text.renderError(out, error);
      return exitCodeFor(error);
    }
  }
  return problemsCode;
};

const validateCommand: MigratorCommand = async (run, { migrator, settings, resolved }) => {
  const { out } = run;
  run.noArgs();
  const { validate } = await import('./commands/validate.js');
  // Dialect files of other dialects (and a failover's fallback) are checked with their own splitter.
  const { otherDialectCheckers } = await import('./internal/statement-checkers.js');
  const others = await otherDialectCheckers(settings.folders, resolved.primary.dialect.name, run.options.dialectLoaders);
  const fallback = resolved.fallback?.dialect;
  const alsoCheck = fallback && !others.some((o) => o.name === fallback.name) ? [...others, fallback] : others;
  const result = await validate({ migrator, offline: run.flag('offline'), alsoCheck });
  run.emit(result, () => text.renderValidate(out, result));
  return exitCodeForProblems(result.problems);
};

const planCommand: MigratorCommand = async (run, { migrator, sources, settings }) => {
  const { out } = run;
  run.noArgs();
  const { plan } = await import('./commands/plan.js');
  const steps = countOption(run.line.options, 'steps');
  const result = await plan({
    migrator,
    direction: run.flag('down') || steps !== undefined ? 'down' : 'up',
    ...(run.opt('to') ? { to: run.opt('to')! } : {}),
    ...(steps ? { steps } : {}),
    allowOutOfOrder: run.flag('allow-out-of-order'),
  });
  // Findings of strata lint on the steps to apply (when @strata/lint is installed).
  const { lintSteps } = await import('./internal/lint-gate.js');
  const lint =
    result.direction === 'up' && result.problems.length === 0
      ? await lintSteps(
          result.steps.map((step) => step.id),
          result.dialect,
          {
            sources: sources.sources,
            settings,
            cwd: run.cwd,
            modules: run.options.modules ?? {},
            lintLoader: run.options.lintLoader,
            onSkip: (reason) => out.debug(reason),
          },
        )
      : undefined;
  const renderLint = lint?.findings.length ? (await import('./render/lint.js')).renderLint : undefined;
  run.emit(
    {
      ...result,
      lint: lint ? { errors: lint.errors, warnings: lint.warnings, suppressed: lint.suppressed, findings: lint.findings } : null,
    },
    () => {
      text.renderPlan(out, result);
      if (lint && renderLint) renderLint(out, lint);
    },
  );
  return exitCodeForProblems(result.problems);
};

const upCommand: MigratorCommand = async (run, { migrator, signal, settings }) => {
  const { out } = run;
  run.noArgs();
  const { up } = await import('./commands/up.js');
  const report = await up({
    migrator,
    ...(run.opt('to') ? { to: run.opt('to')! } : {}),
    dryRun: run.flag('dry-run'),
    singleTransaction: run.flag('single-transaction'),
    allowOutOfOrder: run.flag('allow-out-of-order'),
    // The hooks run with --no-backup too (the lint gate); the backup hook itself honours the flag.
    noBackup: false,
    ...(signal ? { signal } : {}),
    beforeStep: (await import('./windows/window-wiring.js')).upWindowCheck({
      settings,
      env: run.env,
      waitFor: run.opt('wait-for-window'),
      singleTransaction: run.flag('single-transaction'),
      out,
      isTTY: run.isTTY,
    }),
  });
  if (run.flag('no-backup') && report.steps.length && !report.dryRun) out.warn('no backup: skipped by --no-backup');
  run.emit(report, () => text.renderRun(out, report));
  return report.deferred ? (await import('./windows/window-wiring.js')).reportDeferred(out, report.deferred) : 0;
};

const downCommand: MigratorCommand = async (run, { migrator, signal }) => {
  const { out } = run;
  run.noArgs();
  const to = run.opt('to');
  const steps = countOption(run.line.options, 'steps');
  if (to && steps)
    throw new StrataError('STRATA_USAGE', 'Give --to or --steps, not both', {
      hint: 'strata down --steps 2, or strata down --to app@1.0.0',
    });
  const { down } = await import('./commands/down.js');
  const report = await down({
    migrator,
    ...(to ? { to } : {}),
    ...(steps ? { steps } : {}),
    dryRun: run.flag('dry-run'),
    noBackup: run.flag('no-backup'),
    ...(signal ? { signal } : {}),
    confirm: (ids) =>
      run.confirm(
        `Revert ${ids.length} migration${ids.length === 1 ? '' : 's'} on ${migrator.dialect.target}: ${ids.join(', ')}?`,
        `Refusing to revert ${ids.length} migration${ids.length === 1 ? '' : 's'} (${ids.join(', ')}) without confirmation`,
      ),
  });
  if (run.flag('no-backup') && report.steps.length && !report.dryRun) out.warn('no backup: skipped by --no-backup');
  run.emit(report, () => text.renderRun(out, report));
  return 0;
};

const repairCommand: MigratorCommand = async (run, { migrator }) => {
  const { out } = run;
  run.noArgs();
  const { repair } = await import('./commands/repair.js');
  const list = (name: string) => {
    const values = listOption(run.line.options, name);
    return values.includes('all') ? ('all' as const) : values;
  };
  const ids = (name: string) => {
    const values = listOption(run.line.options, name);
    if (values.includes('all'))
      throw new StrataError('STRATA_USAGE', `--${name} takes migration ids, not "all"`, { hint: `strata repair --${name} app@1.2.0` });
    return values;
  };
  const result = await repair({
    migrator,
    acceptChecksums: list('accept-checksum'),
    dropFailed: list('drop-failed'),
    forgetMissing: list('forget'),
    markApplied: ids('mark-applied'),
    markReverted: ids('mark-reverted'),
    dryRun: run.flag('dry-run'),
    confirm: async (preview) => {
      if (!run.flag('yes')) {
        out.info('This will change the state table:');
        text.renderRepairActions(out, preview);
      }
      await run.confirm(
        `Apply ${preview.actions.length} repair${preview.actions.length === 1 ? '' : 's'} to ${preview.target}?`,
        `Refusing to apply ${preview.actions.length} repair${preview.actions.length === 1 ? '' : 's'} without confirmation`,
      );
    },
  });
  run.emit(result, () => text.renderRepair(out, result));
  return 0;
};

const baselineCommand: MigratorCommand = async (run, { migrator }) => {
  const { out } = run;
  const version = run.line.args[0];
  if (!version)
    throw new StrataError('STRATA_USAGE', 'strata baseline needs a version', {
      hint: 'strata baseline 1.4.0, or strata baseline core@1.1.0',
    });
  run.noArgs(1);
  const { baseline } = await import('./commands/baseline.js');
  const result = await baseline({ migrator, version, dryRun: run.flag('dry-run') });
  run.emit(result, () => text.renderBaseline(out, result));
  return 0;
};

const historyCommand: MigratorCommand = async (run, { migrator }) => {
  const { out } = run;
  run.noArgs();
  const { history } = await import('./commands/history.js');
  const limit = countOption(run.line.options, 'limit');
  const migrationId = run.opt('migration');
  const result = await history({ migrator, ...(limit ? { limit } : {}), ...(migrationId ? { migrationId } : {}) });
  run.emit(result, () => text.renderHistory(out, result));
  return 0;
};

/** The commands that run on a migrator, by name. */
export const MIGRATOR_COMMANDS: Record<string, MigratorCommand | undefined> = {
  status: statusCommand,
  validate: validateCommand,
  plan: planCommand,
  up: upCommand,
  down: downCommand,
  repair: repairCommand,
  baseline: baselineCommand,
  history: historyCommand,
};
