import { resolve as resolvePath } from 'node:path';
import { createMigrator, type Migration, type Problem, StrataError } from '@strata/core';
import type { LintIgnore } from '@strata/lint';
import { type CommandLine, stringOption } from '../argv.js';
import type { LintCommandResult, LintPackage } from '../commands/lint.js';
import { type DialectLoaders, resolveDialect } from '../dialect-loader.js';
import { assertDatabaseExists } from '../read-only.js';
import type { Output, WritableLike } from '../output.js';
import type { Settings } from '../settings.js';
import { importFromProject } from './import-package.js';
import type { ModuleLoader } from '../sources.js';
import { parseTargetUrl, redactUrl } from '../target.js';

/** Imports `@strata/lint`; injectable (the strata bin `require`s its own). */
export type LintLoader = () => Promise<unknown>;

// In a variable: @strata/lint is an optional peer, and bundlers must leave the import alone.
const LINT_PACKAGE = '@strata/lint';

/** What `strata lint` needs from the run. */
export interface LintRunContext {
  line: CommandLine;
  settings: Settings;
  out: Output;
  stdout: WritableLike;
  cwd: string;
  dialectLoaders: DialectLoaders | undefined;
  modules: Record<string, ModuleLoader>;
  lintLoader: LintLoader | undefined;
  emit(result: object, renderText: () => void): void;
}

/** Loads `@strata/lint`, or explains how to install it. */
export async function loadLintPackage(loader: LintLoader | undefined): Promise<LintPackage> {
  try {
    const loaded = (await (loader ?? (() => import(LINT_PACKAGE)))()) as LintPackage;
    if (typeof loaded.lintMigrations !== 'function') throw new Error('lintMigrations is missing');
    return loaded;
  } catch (error) {
    throw new StrataError('STRATA_USAGE', `strata lint needs @strata/lint, which could not be loaded: ${(error as Error).message}`, {
      hint: 'npm install --save-dev @strata/lint',
      cause: error,
    });
  }
}

const LINT_DIALECTS = ['postgres', 'sqlite'] as const;
const FORMATS = ['text', 'github'] as const;

/**
 * `strata lint`: the pending migrations of the target (or every migration with `--all`, or for
 * `--dialect` without a database), linted by `@strata/lint`. Exit 3 on an error finding or a bad
 * migration file, 0 on warnings only.
 */
export async function runLint(context: LintRunContext): Promise<number> {
  const { line, settings, out, cwd } = context;
  if (line.args.length) {
    throw new StrataError('STRATA_USAGE', `Unexpected argument ${JSON.stringify(line.args[0])} for strata lint`, {
      hint: 'Run `strata lint --help` for usage',
    });
  }
  const format = stringOption(line.options, 'format') ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new StrataError('STRATA_USAGE', `Unknown --format ${JSON.stringify(format)}`, {
      hint: `One of: ${FORMATS.join(', ')} (and --json for a JSON document)`,
    });
  }
  const dialectFlag = stringOption(line.options, 'dialect');
  if (dialectFlag !== undefined && !(LINT_DIALECTS as readonly string[]).includes(dialectFlag)) {
    throw new StrataError(
      'STRATA_USAGE',
      `strata lint knows the dialects ${LINT_DIALECTS.join(' and ')}, not ${JSON.stringify(dialectFlag)}`,
      { hint: 'strata lint --dialect postgres' },
    );
  }
  const since = stringOption(line.options, 'since');
  const all = line.options.all === true || dialectFlag !== undefined || since !== undefined;
  const linter = await loadLintPackage(context.lintLoader);
  // Checked before anything is read: a typo in the config is a config error (exit 2).
  linter.checkLintOptions({
    ...(settings.lint?.rules ? { rules: settings.lint.rules } : {}),
    ...(settings.lint?.ignore ? { ignores: settings.lint.ignore } : {}),
  });

  const { resolveSources } = await import('../sources.js');
  const sources = await resolveSources(
    settings.folders,
    settings.modules,
    cwd,
    context.modules,
    (message) => out.warn(`warning: ${message}`),
    false,
  );
  const migrations: Migration[] = [];
  const problems: Problem[] = [];
  for (const source of sources.sources) {
    const loaded = await source.load();
    migrations.push(...loaded.migrations);
    problems.push(...loaded.problems);
  }

  let dialect = dialectFlag as 'postgres' | 'sqlite' | undefined;
  let target: string | undefined;
  let only: Set<string> | undefined;
  if (!all) {
    // Pending = not applied on the target: read its state (no lock, nothing written, no file created).
    assertDatabaseExists(settings);
    const resolved = await resolveDialect(settings, context.dialectLoaders);
    dialect = lintDialect(resolved.dialect.name);
    const migrator = createMigrator({
      dialect: resolved.dialect,
      sources: sources.sources,
      ...(settings.lockTimeoutMs !== undefined ? { lockTimeoutMs: settings.lockTimeoutMs } : {}),
    });
    try {
      const status = await migrator.status();
      target = status.target;
      only = new Set(status.migrations.filter((m) => m.state === 'pending').map((m) => m.id));
    } finally {
      await migrator.close().catch(() => {});
    }
  } else if (dialect === undefined) {
    dialect = await targetDialectName(settings, context.dialectLoaders);
    target = settings.dialectObject ? settings.dialectObject.target : redactUrl(settings.url);
  }
  if (since !== undefined) {
    // The migrations whose file (or this engine's variant of it) changed on the branch.
    const { changedFiles } = await import('./git-changes.js');
    const changed = changedFiles(since, cwd);
    only = new Set(
      migrations
        .filter(
          (m) =>
            m.file?.endsWith('.sql') &&
            [m.file, m.file.replace(/\.sql$/, `.${dialect}.sql`)].some((file) => changed.has(resolvePath(cwd, file))),
        )
        .map((m) => m.id),
    );
  }

  const { lint } = await import('../commands/lint.js');
  const result = await lint({
    linter,
    migrations,
    problems,
    only,
    ...(since !== undefined ? { scope: 'changed' as const } : {}),
    dialect: dialect!,
    ...(target !== undefined ? { target } : {}),
    cwd,
    ...(settings.lint ? { config: settings.lint } : {}),
    moduleIgnores: await moduleIgnores(settings.modules, cwd, context.modules),
    ...(settings.ddlLockTimeoutMs !== undefined ? { lockTimeoutMs: settings.ddlLockTimeoutMs } : {}),
  });
  if (out.json || format === 'text') {
    const { renderLint } = await import('../render/lint.js');
    context.emit(result, () => renderLint(out, result));
  } else {
    const { renderLintGithub } = await import('../render/lint.js');
    renderLintGithub((text) => context.stdout.write(out.redact(text)), result);
  }
  return exitCodeForLint(result);
}

/** 3 when a finding is an error or a migration file is bad; 0 on warnings only. */
export function exitCodeForLint(result: Pick<LintCommandResult, 'errors' | 'problems'>): number {
  return result.errors > 0 || result.problems.length > 0 ? 3 : 0;
}

function lintDialect(name: string): 'postgres' | 'sqlite' {
  if ((LINT_DIALECTS as readonly string[]).includes(name)) return name as 'postgres' | 'sqlite';
  throw new StrataError('STRATA_USAGE', `strata lint has no rules for the dialect ${JSON.stringify(name)}`, {
    hint: 'Lint as one of the engines it knows: strata lint --dialect postgres (or sqlite)',
  });
}

/** The target's engine without connecting: the URL's scheme, or the configured dialect's name. */
async function targetDialectName(settings: Settings, loaders: DialectLoaders | undefined): Promise<'postgres' | 'sqlite'> {
  if (settings.dialectObject) return lintDialect(settings.dialectObject.name);
  if (settings.dialectPackage) return lintDialect((await resolveDialect(settings, loaders)).dialect.name);
  return parseTargetUrl(settings.url, settings.cwd).kind;
}

/** The `lintIgnores` exports of the module packages (their released migrations cannot change). */
export async function moduleIgnores(names: readonly string[], cwd: string, loaders: Record<string, ModuleLoader>): Promise<LintIgnore[]> {
  const ignores: LintIgnore[] = [];
  for (const name of names) {
    try {
      const loaded = (await importFromProject(name, cwd, loaders[name] ?? (() => import(name)))) as {
        lintIgnores?: unknown;
        default?: { lintIgnores?: unknown };
      };
      const list = loaded.lintIgnores ?? loaded.default?.lintIgnores;
      if (Array.isArray(list)) ignores.push(...(list as LintIgnore[]));
    } catch {
      // resolveSources already loaded it, or said why not.
    }
  }
  return ignores;
}
