/** The engines the linter knows. */
export type LintDialect = 'postgres' | 'sqlite';

/** How a finding counts: errors fail `strata lint` (exit 3); warnings are shown only. */
export type LintSeverity = 'error' | 'warning';

/** A rule's setting in the config: a severity, or `off`. */
export type LintRuleSetting = LintSeverity | 'off';

/** One migration to lint: its up section and what is known about it. */
export interface LintMigration {
  /** `module@version`, or any name for messages. */
  id: string;
  /** The file shown in findings (`migrations/1.2.0_add_users.sql`); the id when absent. */
  file?: string;
  /** The SQL of the up section (what runs when the migration is applied). */
  sql: string;
  /**
   * 1-based line of the file where `sql` starts, so findings point into the file.
   * @default 1
   */
  line?: number;
  /**
   * File-level text before the up section (the lines above `-- strata:up`): a
   * `-- strata:lint-ignore` there applies to the whole file.
   */
  header?: string;
  /**
   * Whether the migration runs in a transaction (`-- strata:transaction off` makes it false).
   * @default true
   */
  transaction?: boolean;
  /**
   * Read for what it creates (tables, columns, foreign keys, indexes) but not reported on: the
   * migrations already applied, so that rules know the schema the linted ones change.
   * @default false
   */
  context?: boolean;
}

/** An ignore kept outside the migration text (config, or a module package whose text is released). */
export interface LintIgnore {
  /** The migration id (`core@1.1.0`). */
  migration: string;
  /** Rule ids it suppresses. */
  rules: readonly string[];
  /** Why the finding is accepted; shown by `strata lint --verbose` and required. */
  reason: string;
}

/** Input of {@link lintMigrations}. */
export interface LintOptions {
  dialect: LintDialect;
  /** Severity per rule id (`{ 'pg/rename': 'off' }`); unknown ids are a finding. */
  rules?: Readonly<Record<string, LintRuleSetting>>;
  /** Ignores kept outside the files. */
  ignores?: readonly LintIgnore[];
  /**
   * The `lock_timeout` (ms) strata sets on PostgreSQL migration sessions; `0` means none, and
   * then `pg/missing-lock-timeout` asks each migration to set its own.
   * @default 5000 (the PostgreSQL dialect's default `ddlLockTimeoutMs`)
   */
  lockTimeoutMs?: number;
}

/** One thing a rule found. */
export interface LintFinding {
  /** Stable rule id (`pg/index-not-concurrent`). */
  rule: string;
  severity: LintSeverity;
  /** One sentence naming what was found. */
  message: string;
  /** The safe alternative. */
  hint: string;
  migrationId: string;
  file: string;
  /** 1-based line and column in the file. */
  line: number;
  column: number;
  /** 1-based number of the statement in the up section (0 for file-level findings). */
  statement: number;
  /** The statement's first line, shortened. */
  excerpt: string;
}

/** What {@link lintMigrations} returns. */
export interface LintReport {
  dialect: LintDialect;
  /** Migrations reported on (context migrations not counted). */
  migrations: number;
  statements: number;
  /** Findings in migration order, then by position. */
  findings: LintFinding[];
  errors: number;
  warnings: number;
  /** Findings suppressed by an ignore. */
  suppressed: number;
}
