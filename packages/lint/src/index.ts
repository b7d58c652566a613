export type {
  LintDialect,
  LintFinding,
  LintIgnore,
  LintMigration,
  LintOptions,
  LintReport,
  LintRuleSetting,
  LintSeverity,
} from './lint-types.js';
export { findLintRule, LINT_RULES, type LintRuleInfo } from './lint-rules.js';
export { checkLintOptions, DEFAULT_LINT_LOCK_TIMEOUT_MS, lintMigrations } from './lint.js';
export { type LintBodyOptions, lintMigrationFromBody, migrationFromSqlFile } from './lint-migration-input.js';
