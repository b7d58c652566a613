import { type BeforeRunContext, type Migration, type MigratorHooks, type MigrationSource, StrataError } from '@strata/core';
import type { LintCommandResult } from '../commands/lint.js';
import type { Settings } from '../settings.js';
import type { ModuleLoader } from '../sources.js';
import { loadLintPackage, type LintLoader, moduleIgnores } from './lint-wiring.js';

/**
 * A source whose first load is shared by every later one in this command: `plan` and `up` load
 * the migrations, then the lint loads them again, and the shared migrations keep the bodies the
 * migrator already read (each file is read once).
 */
export function loadOnce(source: MigrationSource): MigrationSource {
  let loading: ReturnType<MigrationSource['load']> | undefined;
  return { description: source.description, load: () => (loading ??= source.load()) };
}

/** What `plan` and `up` need to lint the migrations they are about to run. */
export interface LintGateOptions {
  sources: readonly MigrationSource[];
  settings: Settings;
  cwd: string;
  modules: Record<string, ModuleLoader>;
  lintLoader: LintLoader | undefined;
  /** Said when the lint does not run (package missing, engine without rules), for `--verbose`. */
  onSkip(reason: string): void;
}

/**
 * Lints the migrations a plan applies (`ids`), the others read as context. `undefined` when
 * `@strata/lint` is not installed (linting is opt-in by installing it) or the engine has no rules.
 * Imported only when a plan has steps: `up` with nothing to do never loads the linter.
 */
export async function lintSteps(ids: readonly string[], dialect: string, options: LintGateOptions): Promise<LintCommandResult | undefined> {
  if (ids.length === 0) return undefined;
  if (dialect !== 'postgres' && dialect !== 'sqlite') {
    options.onSkip(`lint: no rules for the dialect ${dialect}`);
    return undefined;
  }
  let linter;
  try {
    linter = await loadLintPackage(options.lintLoader);
  } catch (error) {
    options.onSkip(`lint: skipped, ${(error as Error).message}`);
    return undefined;
  }
  const { settings } = options;
  linter.checkLintOptions({
    ...(settings.lint?.rules ? { rules: settings.lint.rules } : {}),
    ...(settings.lint?.ignore ? { ignores: settings.lint.ignore } : {}),
  });
  const migrations: Migration[] = [];
  for (const source of options.sources) migrations.push(...(await source.load()).migrations);
  const { lint } = await import('../commands/lint.js');
  return lint({
    linter,
    migrations,
    only: new Set(ids),
    dialect,
    cwd: options.cwd,
    ...(settings.lint ? { config: settings.lint } : {}),
    moduleIgnores: await moduleIgnores(settings.modules, options.cwd, options.modules),
    ...(settings.ddlLockTimeoutMs !== undefined ? { lockTimeoutMs: settings.ddlLockTimeoutMs } : {}),
  });
}

/**
 * Runs the lint before an `up` run's other hooks (the backup): findings are shown, and an error
 * finding stops the run before anything changes (`STRATA_LINT_FAILED`, exit 3) unless `allowLint`.
 * Core calls `beforeRun` only for a run with steps, under the lock, so the lint sees exactly the
 * migrations that will run and costs nothing when there is nothing to do.
 */
export function withLintGate(
  hooks: MigratorHooks,
  options: LintGateOptions & {
    allowLint: boolean;
    /** `--no-backup`: the lint still runs, the backup hook does not. */
    skipBackup: boolean;
    onReport(result: LintCommandResult): void;
  },
): MigratorHooks {
  return {
    async beforeRun(context: BeforeRunContext) {
      if (context.direction === 'up') {
        const result = await lintSteps(
          context.plan.steps.map((step) => step.migration.id),
          context.dialect.name,
          options,
        );
        if (result && (result.findings.length || result.problems.length)) options.onReport(result);
        if (result && result.errors > 0 && !options.allowLint) {
          const first = result.findings.find((finding) => finding.severity === 'error')!;
          throw new StrataError(
            'STRATA_LINT_FAILED',
            `strata lint found ${result.errors} error${result.errors === 1 ? '' : 's'} in the migrations to apply (first: ${first.file}:${first.line} ${first.rule})`,
            {
              hint: 'Fix them (strata lint shows each with the safe alternative), silence one with -- strata:lint-ignore <rule> <reason>, or run with --allow-lint',
              details: {
                migrationId: first.migrationId,
                file: first.file,
                line: first.line,
                problems: result.findings.map((f) => ({
                  code: f.rule,
                  message: `${f.file}:${f.line}:${f.column} ${f.severity}: ${f.message}`,
                  hint: f.hint,
                  migrationId: f.migrationId,
                  file: f.file,
                })),
              },
            },
          );
        }
      }
      if (options.skipBackup) return undefined;
      return hooks.beforeRun?.(context);
    },
  };
}
