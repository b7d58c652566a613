import { readdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { type Migration, prepareMigrations, type Problem } from '@strata/core';
import type { LintFinding, LintIgnore, LintMigration } from '@strata/lint';
import type { LintConfig } from '../define-config.js';
import { type ProblemResult, toProblemResults } from './status.js';

/** The parts of `@strata/lint` the command uses. */
export type LintPackage = typeof import('@strata/lint');

export interface LintCommandOptions {
  /** The loaded `@strata/lint`. */
  linter: LintPackage;
  /** Every migration the sources hold, in any order (linted in apply order). */
  migrations: readonly Migration[];
  /** Problems the sources reported (bad files): shown, and exit 3. */
  problems?: readonly Problem[];
  /** Ids to report on (the pending ones); the others are read for the schema only. `undefined`: all. */
  only: ReadonlySet<string> | undefined;
  /** How `only` was chosen, for the result. @default 'pending' when `only` is given, else 'all' */
  scope?: LintCommandResult['scope'];
  dialect: 'postgres' | 'sqlite';
  /** The target, redacted, when one was used to find the pending migrations. */
  target?: string;
  /** Resolves file paths shown in messages (dialect-specific variants). */
  cwd: string;
  config?: LintConfig;
  /** Ignores exported by module packages (`lintIgnores`), for their released migrations. */
  moduleIgnores?: readonly LintIgnore[];
  /** The `lock_timeout` strata sets on PostgreSQL (config `ddlLockTimeout`); 0 = none. */
  lockTimeoutMs?: number;
}

/** `strata lint --json`. */
export interface LintCommandResult {
  dialect: 'postgres' | 'sqlite';
  target: string | null;
  /** `pending`: the migrations not applied on the target; `all`: every migration; `changed`: the files changed since `--since <ref>`. */
  scope: 'pending' | 'all' | 'changed';
  migrations: number;
  statements: number;
  errors: number;
  warnings: number;
  /** Findings silenced by a lint-ignore or a config ignore. */
  suppressed: number;
  findings: LintFinding[];
  /** Migrations not linted, with the reason (script migrations). */
  skipped: { id: string; reason: string }[];
  problems: ProblemResult[];
}

/**
 * Lints migrations for one engine: the SQL of each up section, in apply order, with the applied
 * ones read as context (so "created earlier" and column types are known).
 */
export async function lint(options: LintCommandOptions): Promise<LintCommandResult> {
  const { migrations, dialect, only } = options;
  const ordered = prepareMigrations(
    migrations.map((m) => ({
      id: m.id,
      module: m.module,
      version: m.version,
      name: m.name,
      dependsOn: m.dependsOn,
      checksum: undefined,
      hasDown: false,
      transaction: m.transaction,
      file: m.file,
    })),
  ).order;
  const byId = new Map(migrations.map((m) => [m.id, m]));
  const variantFile = createVariantFinder(dialect, options.cwd);
  const inputs: LintMigration[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const planned of ordered) {
    const migration = byId.get(planned.id)!;
    const context = only !== undefined && !only.has(migration.id);
    const file = migration.file;
    // biome-ignore lint/complexity/useOptionalChain: `file?.endsWith` would not narrow `file` to a string below.
    const isSqlFile = file !== undefined && file.endsWith('.sql');
    if (!isSqlFile && migration.load) {
      if (!context) skipped.push({ id: migration.id, reason: 'a script migration (.ts/.js): its SQL is built at run time' });
      continue;
    }
    let body;
    try {
      body = await migration.resolve(dialect);
    } catch {
      continue; // No body for this dialect: not applicable here.
    }
    if (typeof body.up !== 'string') {
      if (!context) skipped.push({ id: migration.id, reason: 'its up is a function' });
      continue;
    }
    if (isSqlFile) {
      // The file that runs on this dialect (`1.2.0_x.postgres.sql` beside `1.2.0_x.sql`): the file
      // source knows it; other sources are looked up in the folder.
      const variant = migration.forDialect?.(dialect) ?? migration;
      const shown = migration.forDialect && variant.file !== undefined ? variant.file : variantFile(file);
      if (body.upLine !== undefined) {
        // The file source already split the file (up section, its line, the directives): the
        // linter takes its parts instead of parsing the file a second time.
        inputs.push(
          options.linter.lintMigrationFromBody({
            id: migration.id,
            file: shown,
            up: body.up,
            upLine: body.upLine,
            fileText: body.checksumText,
            transaction: variant.transaction,
            context,
          }),
        );
      } else {
        const input = options.linter.migrationFromSqlFile(body.checksumText, { id: migration.id, file: shown });
        inputs.push(context ? { ...input, context: true } : input);
      }
    } else {
      inputs.push(
        options.linter.lintMigrationFromBody({
          id: migration.id,
          file: migration.id,
          up: body.up,
          transaction: migration.transaction,
          context,
        }),
      );
    }
  }
  const report = await options.linter.lintMigrations(inputs, {
    dialect,
    ...(options.config?.rules ? { rules: options.config.rules } : {}),
    ignores: [...(options.moduleIgnores ?? []), ...(options.config?.ignore ?? [])],
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
  });
  return {
    dialect,
    target: options.target ?? null,
    scope: options.scope ?? (only === undefined ? 'all' : 'pending'),
    migrations: report.migrations,
    statements: report.statements,
    errors: report.errors,
    warnings: report.warnings,
    suppressed: report.suppressed,
    findings: report.findings,
    skipped,
    problems: toProblemResults(options.problems ?? []),
  };
}

/**
 * The file that runs on `dialect`: `1.2.0_x.postgres.sql` when it exists beside `1.2.0_x.sql`.
 * Each folder is listed once (a thousand migrations, one readdir).
 */
function createVariantFinder(dialect: string, cwd: string): (file: string) => string {
  const folders = new Map<string, Set<string>>();
  return (file) => {
    const name = basename(file);
    if (/\.[a-z0-9_-]+\.sql$/.test(name.replace(/^[^_]*_/, ''))) return file;
    const folder = resolve(cwd, dirname(file));
    let names = folders.get(folder);
    if (!names) {
      try {
        names = new Set(readdirSync(folder));
      } catch {
        names = new Set();
      }
      folders.set(folder, names);
    }
    return names.has(name.replace(/\.sql$/, `.${dialect}.sql`)) ? file.replace(/\.sql$/, `.${dialect}.sql`) : file;
  };
}
