import type { LintDialect, LintSeverity } from './lint-types.js';

/** A rule of the catalogue: its stable id, engine, default severity and the safe alternative. */
export interface LintRuleInfo {
  id: string;
  /** The engine it applies to; `any` for the linter's own rules. */
  dialect: LintDialect | 'any';
  severity: LintSeverity;
  /** What it flags, in a few words. */
  title: string;
  /** The safe alternative, shown with every finding. */
  hint: string;
}

const rule = (id: string, dialect: LintRuleInfo['dialect'], severity: LintSeverity, title: string, hint: string): LintRuleInfo => ({
  id,
  dialect,
  severity,
  title,
  hint,
});

/**
 * Every rule, in documentation order (packages/lint/README.md has a paragraph per id). Ids are a
 * contract: configs and `-- strata:lint-ignore` lines name them; never rename one.
 */
export const LINT_RULES: readonly LintRuleInfo[] = [
  rule(
    'pg/index-not-concurrent',
    'postgres',
    'error',
    'index created or dropped without CONCURRENTLY on an existing table',
    'Use CREATE INDEX CONCURRENTLY (DROP INDEX CONCURRENTLY) in a migration with -- strata:transaction off',
  ),
  rule(
    'pg/concurrently-in-transaction',
    'postgres',
    'error',
    'CONCURRENTLY (or VACUUM) inside a transactional migration',
    'Add -- strata:transaction off at the top of the file and keep the statement alone in its migration',
  ),
  rule(
    'pg/check-not-valid',
    'postgres',
    'error',
    'CHECK constraint added to an existing table without NOT VALID',
    'ADD CONSTRAINT … CHECK (…) NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT … in a later migration',
  ),
  rule(
    'pg/foreign-key-not-valid',
    'postgres',
    'error',
    'FOREIGN KEY added to an existing table without NOT VALID',
    'ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later migration',
  ),
  rule(
    'pg/validate-same-transaction',
    'postgres',
    'warning',
    'VALIDATE CONSTRAINT in the same transaction as its NOT VALID add',
    "Move the VALIDATE CONSTRAINT to the next migration, so the ADD's ACCESS EXCLUSIVE lock is released first",
  ),
  rule(
    'pg/unique-without-index',
    'postgres',
    'error',
    'UNIQUE / PRIMARY KEY / EXCLUDE constraint built under an ACCESS EXCLUSIVE lock',
    'CREATE UNIQUE INDEX CONCURRENTLY …, then ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX …',
  ),
  rule(
    'pg/set-not-null',
    'postgres',
    'warning',
    'SET NOT NULL on an existing column scans the table under an ACCESS EXCLUSIVE lock',
    'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; VALIDATE it in a later migration; then SET NOT NULL (no scan) and drop the CHECK',
  ),
  rule(
    'pg/add-column-not-null-no-default',
    'postgres',
    'error',
    'ADD COLUMN … NOT NULL without a default fails on a table with rows',
    'Add the column with a constant DEFAULT, or nullable, backfill, then SET NOT NULL the safe way',
  ),
  rule(
    'pg/add-column-volatile-default',
    'postgres',
    'error',
    'ADD COLUMN with a volatile default rewrites the table',
    'Add the column without the default (or with a constant one), ALTER COLUMN … SET DEFAULT …, backfill in batches',
  ),
  rule(
    'pg/alter-column-type',
    'postgres',
    'error',
    'ALTER COLUMN … TYPE rewrites the table (and its indexes)',
    'Add a new column, backfill it in batches, switch the application, drop the old column',
  ),
  rule(
    'pg/add-column-rewrite',
    'postgres',
    'error',
    'stored generated, serial or identity column added to an existing table rewrites it',
    'Add a plain nullable column, fill it in batches, then attach the default/sequence',
  ),
  rule(
    'pg/drop-table',
    'postgres',
    'warning',
    'DROP TABLE loses data and breaks code still reading it',
    'Stop reading and writing the table in a release first; keep a backup; drop it in a later release',
  ),
  rule(
    'pg/drop-column',
    'postgres',
    'warning',
    'DROP COLUMN loses data and breaks code still reading it',
    'Release code that no longer uses the column first (and ignore it in the ORM), then drop it',
  ),
  rule(
    'pg/drop-schema',
    'postgres',
    'warning',
    'DROP SCHEMA loses every object in it',
    'Make sure nothing uses the schema and a backup exists; prefer dropping objects one by one',
  ),
  rule(
    'pg/truncate',
    'postgres',
    'warning',
    'TRUNCATE deletes every row under an ACCESS EXCLUSIVE lock',
    'Delete in batches with DELETE … WHERE, or truncate outside of schema migrations',
  ),
  rule(
    'pg/rename',
    'postgres',
    'warning',
    'RENAME of a table or column breaks the running application',
    'Add the new name alongside (a view, or a new column kept in sync), move the code, then drop the old one',
  ),
  rule(
    'pg/blocking-maintenance',
    'postgres',
    'error',
    'VACUUM FULL, CLUSTER or REINDEX without CONCURRENTLY locks the table while it rewrites',
    'REINDEX … CONCURRENTLY; pg_repack instead of VACUUM FULL / CLUSTER; or run it in a maintenance window',
  ),
  rule(
    'pg/missing-lock-timeout',
    'postgres',
    'warning',
    'a migration that takes table locks with no lock_timeout set',
    "Set ddlLockTimeout in the config (strata's default is 5s), or SET lock_timeout = '5s' at the top of the migration",
  ),
  rule(
    'pg/transaction-control',
    'postgres',
    'error',
    'BEGIN / COMMIT / ROLLBACK / SAVEPOINT written in a migration',
    'Remove it: strata opens and commits the transaction; use -- strata:transaction off for statement-by-statement runs',
  ),
  rule(
    'pg/not-idempotent',
    'postgres',
    'warning',
    'a statement that fails when re-run, in a non-transactional migration',
    'Use IF NOT EXISTS / IF EXISTS, so the migration can be re-run after a failure half way',
  ),

  rule(
    'sqlite/add-column-not-null-no-default',
    'sqlite',
    'error',
    'ADD COLUMN … NOT NULL without a default (SQLite refuses it)',
    'Give the column a constant DEFAULT, or rebuild the table',
  ),
  rule(
    'sqlite/add-column-non-constant-default',
    'sqlite',
    'error',
    'ADD COLUMN with a non-constant default such as CURRENT_TIMESTAMP (SQLite refuses it)',
    'Add the column without the default and fill it with UPDATE, or rebuild the table',
  ),
  rule(
    'sqlite/add-column-unique',
    'sqlite',
    'error',
    'ADD COLUMN with PRIMARY KEY or UNIQUE (SQLite refuses it)',
    'Add the column, then CREATE UNIQUE INDEX on it',
  ),
  rule(
    'sqlite/drop-column',
    'sqlite',
    'warning',
    'DROP COLUMN rewrites the table and is refused when the column is indexed or referenced',
    'Drop the indexes and constraints that use the column first (or rebuild the table); release code that no longer reads it first',
  ),
  rule(
    'sqlite/rebuild-cascade',
    'sqlite',
    'error',
    'a table referenced with ON DELETE CASCADE / SET NULL dropped with foreign keys on',
    'Rebuild with -- strata:transaction off and PRAGMA foreign_keys = OFF first, PRAGMA foreign_key_check before foreign_keys = ON',
  ),
  rule(
    'sqlite/drop-table',
    'sqlite',
    'warning',
    'DROP TABLE loses data and breaks code still reading it',
    'Stop using the table in a release first; keep a backup; drop it in a later release',
  ),
  rule(
    'sqlite/rename',
    'sqlite',
    'warning',
    'RENAME of a table or column breaks the running application',
    'Add the new name alongside (a view, or a new column), move the code, then drop the old one',
  ),

  rule(
    'lint/unknown-rule',
    'any',
    'warning',
    'a lint-ignore, or the config, names a rule that does not exist',
    'Fix the rule id (the rules are listed in the @strata/lint README and in its LINT_RULES export)',
  ),
  rule(
    'lint/unused-ignore',
    'any',
    'warning',
    'a lint-ignore that suppresses nothing',
    'Remove the ignore, or move it to the line above the statement it is meant for',
  ),
  rule(
    'lint/parse-error',
    'any',
    'warning',
    'a statement the parser rejects (the database will too)',
    'Fix the syntax; the rules could not check this statement',
  ),
];

const BY_ID = new Map(LINT_RULES.map((info) => [info.id, info]));

/** A rule by id. */
export function findLintRule(id: string): LintRuleInfo | undefined {
  return BY_ID.get(id);
}
