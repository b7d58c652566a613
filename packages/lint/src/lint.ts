import { StrataError } from '@strata/core';
import type { RuleContext } from './lint-context.js';
import { findIgnoreComments, findTrailingIgnore, type IgnoreComment } from './lint-ignores.js';
import { findLintRule, LINT_RULES } from './lint-rules.js';
import { createPositionIndex, escapeControl, excerptOf, type LintStatement } from './lint-statement.js';
import type { LintFinding, LintMigration, LintOptions, LintReport, LintRuleSetting, LintSeverity } from './lint-types.js';
import { splitInertPostgresScript } from './postgres-fast-path.js';
import { loadPostgresParser, parsePostgresScripts } from './postgres-parse.js';
import { lintPostgresStatements } from './postgres-rules.js';
import { createPostgresSchema } from './postgres-schema.js';
import { parseSqliteScript, type SqliteStatement } from './sqlite-parse.js';
import { createSqliteSchema, lintSqliteStatements } from './sqlite-rules.js';

/** The `lock_timeout` strata's PostgreSQL dialect sets when the config says nothing. */
export const DEFAULT_LINT_LOCK_TIMEOUT_MS = 5000;

const SETTINGS = new Set<LintRuleSetting>(['error', 'warning', 'off']);

/** Scripts per parser call: few calls (each has a fixed cost), and trees that die young. */
const PARSE_CHUNK = 100;

/**
 * Checks the config's `lint.rules` and `lint.ignore` entries: an unknown rule id or setting is a
 * config error naming it.
 * @throws StrataError `STRATA_CONFIG_INVALID`
 */
export function checkLintOptions(options: Pick<LintOptions, 'rules' | 'ignores'>): void {
  for (const [id, setting] of Object.entries(options.rules ?? {})) {
    if (!findLintRule(id)) {
      throw new StrataError('STRATA_CONFIG_INVALID', `lint.rules names an unknown rule ${JSON.stringify(id)}`, {
        hint: `Known rules: ${LINT_RULES.map((r) => r.id).join(', ')}`,
      });
    }
    if (!SETTINGS.has(setting)) {
      throw new StrataError(
        'STRATA_CONFIG_INVALID',
        `lint.rules.${id} must be "error", "warning" or "off", not ${JSON.stringify(setting)}`,
      );
    }
  }
  for (const ignore of options.ignores ?? []) {
    const unknown = ignore.rules.find((id) => !findLintRule(id));
    if (unknown !== undefined) {
      throw new StrataError(
        'STRATA_CONFIG_INVALID',
        `lint.ignore for ${ignore.migration} names an unknown rule ${JSON.stringify(unknown)}`,
        { hint: 'Fix the rule id' },
      );
    }
    if (typeof ignore.reason !== 'string' || ignore.reason.trim() === '') {
      throw new StrataError('STRATA_CONFIG_INVALID', `lint.ignore for ${ignore.migration} has no reason`, {
        hint: 'Say why the finding is accepted: { migration, rules, reason }',
      });
    }
  }
}

/**
 * Lints migrations, in apply order, for one engine. Context migrations (already applied) are read
 * so that rules know the schema, and are not reported on.
 * @example
 * const report = await lintMigrations([{ id: 'app@1.2.0', sql: 'CREATE INDEX i ON users (email);' }], { dialect: 'postgres' });
 * report.findings[0]?.rule; // 'pg/index-not-concurrent'
 */
export async function lintMigrations(migrations: readonly LintMigration[], options: LintOptions): Promise<LintReport> {
  checkLintOptions(options);
  const severityOf = (rule: string): LintSeverity | 'off' => options.rules?.[rule] ?? findLintRule(rule)?.severity ?? 'warning';
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LINT_LOCK_TIMEOUT_MS;
  const postgresSchema = options.dialect === 'postgres' ? createPostgresSchema() : undefined;
  const sqliteSchema = options.dialect === 'sqlite' ? createSqliteSchema() : undefined;
  const report: LintReport = {
    dialect: options.dialect,
    migrations: 0,
    statements: 0,
    findings: [],
    errors: 0,
    warnings: 0,
    suppressed: 0,
  };

  // PostgreSQL: scripts of the commonest shapes skip the parser (see splitInertPostgresScript); the
  // others are parsed together, in one call.
  const inerts = migrations.map((migration) =>
    postgresSchema ? splitInertPostgresScript(migration.sql, migration.transaction ?? true, lockTimeoutMs) : undefined,
  );
  const parsed = new Map<LintMigration, LintStatement[]>();
  // Parsed in chunks, each linted before the next is parsed: the parse trees of a chunk die young
  // (one parse of everything kept every tree alive until the end, and the collector paid for it).
  const toParse = postgresSchema ? migrations.filter((_, index) => !inerts[index]) : [];
  let parsedUpTo = 0;
  for (const [position, migration] of migrations.entries()) {
    const transaction = migration.transaction ?? true;
    const inert = inerts[position];
    if (postgresSchema && !inert && !parsed.has(migration)) {
      const chunk = toParse.slice(parsedUpTo, parsedUpTo + PARSE_CHUNK);
      parsedUpTo += chunk.length;
      const lists = await parsePostgresScripts(chunk.map((m) => m.sql));
      chunk.forEach((m, index) => parsed.set(m, lists[index]!));
    }
    const statements = inert?.statements ?? parsed.get(migration) ?? parseSqliteScript(migration.sql);
    parsed.delete(migration);
    const raw: { rule: string; statement: LintStatement; message: string }[] = [];
    const context: RuleContext = {
      transaction,
      lockTimeoutMs,
      report: migration.context ? () => {} : (rule, statement, message) => raw.push({ rule, statement, message }),
    };
    if (inert) {
      postgresSchema!.deferred.push(migration.sql);
      for (const finding of inert.findings) context.report(finding.rule, finding.statement, finding.message);
    } else if (postgresSchema) lintPostgresStatements(statements, postgresSchema, context, (await loadPostgresParser()).parseSync);
    else lintSqliteStatements(statements as SqliteStatement[], sqliteSchema!, context);
    if (migration.context) continue;
    report.migrations += 1;
    report.statements += statements.length;
    collect(migration, statements, raw, severityOf, options, report);
  }
  report.errors = report.findings.filter((f) => f.severity === 'error').length;
  report.warnings = report.findings.length - report.errors;
  return report;
}

function appliesTo(rule: string, dialect: string): boolean {
  const info = findLintRule(rule);
  return info !== undefined && (info.dialect === 'any' || info.dialect === dialect);
}

function collect(
  migration: LintMigration,
  statements: readonly LintStatement[],
  raw: readonly { rule: string; statement: LintStatement; message: string }[],
  severityOf: (rule: string) => LintSeverity | 'off',
  options: LintOptions,
  report: LintReport,
): void {
  // Most migrations have no finding and no ignore: nothing to place, nothing to check.
  if (
    raw.length === 0 &&
    !migration.sql.includes('lint-ignore') &&
    !migration.header?.includes('lint-ignore') &&
    !options.ignores?.some((ignore) => ignore.migration === migration.id)
  )
    return;
  const file = migration.file ?? migration.id;
  const baseLine = migration.line ?? 1;
  const sqlPosition = createPositionIndex(migration.sql);
  const at = (index: number) => {
    const { line, column } = sqlPosition(index);
    return { line: baseLine + line - 1, column };
  };
  const fileIgnores = findIgnoreComments(migration.header ?? '');
  const configIgnores = (options.ignores ?? [])
    .filter((ignore) => ignore.migration === migration.id)
    .map((ignore) => ({ rules: [...ignore.rules], used: new Set<string>() }));
  // Per statement: the ignores in the comments above it (offsets from `base`), and one at the end
  // of its last line.
  const statementIgnores = new Map<LintStatement, { ignore: IgnoreComment; base: number; where: string }[]>();
  for (const [position, statement] of statements.entries()) {
    const above = findIgnoreComments(statement.leading).map((ignore) => ({
      ignore,
      base: statement.start - statement.leading.length,
      where: `above statement ${statement.index}`,
    }));
    const next = statements[position + 1];
    const trailing = findTrailingIgnore(migration.sql.slice(statement.end, next ? next.start : migration.sql.length));
    const all = trailing ? [...above, { ignore: trailing, base: statement.end, where: `after statement ${statement.index}` }] : above;
    if (all.length) statementIgnores.set(statement, all);
  }
  const findings: LintFinding[] = [];
  const push = (rule: string, message: string, position: { line: number; column: number }, statement: number, excerpt: string) => {
    const severity = severityOf(rule);
    if (severity === 'off') return;
    findings.push({
      rule,
      severity,
      message: escapeControl(message),
      hint: findLintRule(rule)?.hint ?? '',
      migrationId: migration.id,
      file: escapeControl(file),
      ...position,
      statement,
      excerpt,
    });
  };
  for (const { rule, statement, message } of raw) {
    if (severityOf(rule) === 'off') continue;
    const ignore = [...(statementIgnores.get(statement) ?? []).map((entry) => entry.ignore), ...fileIgnores, ...configIgnores].find(
      (candidate) => candidate.rules.includes(rule),
    );
    if (ignore) {
      ignore.used.add(rule);
      report.suppressed += 1;
      continue;
    }
    push(rule, message, at(statement.start), statement.index, excerptOf(statement.text));
  }
  // Ignores that name an unknown rule, or suppress nothing, are findings themselves. An ignore of
  // another engine's rule is not "unused": a generic file runs on both engines.
  const silent = (rule: string) => severityOf(rule) === 'off' || !appliesTo(rule, options.dialect);
  const headerPosition = createPositionIndex(migration.header ?? '');
  const checkIgnores = (
    ignores: readonly IgnoreComment[],
    position: (ignore: IgnoreComment) => { line: number; column: number },
    where: string,
  ) => {
    for (const ignore of ignores) {
      if (ignore.rules.length === 0)
        push('lint/unknown-rule', `-- strata:lint-ignore ${where} names no rule`, position(ignore), 0, '-- strata:lint-ignore');
      for (const rule of ignore.rules) {
        const excerpt = `-- strata:lint-ignore ${ignore.rules.join(', ')}`;
        if (!findLintRule(rule))
          push('lint/unknown-rule', `-- strata:lint-ignore ${where} names an unknown rule ${rule}`, position(ignore), 0, excerpt);
        else if (!ignore.used.has(rule) && !silent(rule))
          push('lint/unused-ignore', `-- strata:lint-ignore ${rule} ${where} suppresses nothing`, position(ignore), 0, excerpt);
      }
    }
  };
  checkIgnores(fileIgnores, (ignore) => headerPosition(ignore.offset), 'at the top of the file');
  for (const entries of statementIgnores.values()) {
    for (const { ignore, base, where } of entries) checkIgnores([ignore], () => at(base + ignore.offset), where);
  }
  for (const ignore of configIgnores) {
    for (const rule of ignore.rules) {
      if (!ignore.used.has(rule) && !silent(rule))
        push(
          'lint/unused-ignore',
          `lint.ignore of ${migration.id} for ${rule} suppresses nothing`,
          { line: 1, column: 1 },
          0,
          '(config lint.ignore)',
        );
    }
  }
  findings.sort((a, b) => a.line - b.line || a.column - b.column);
  report.findings.push(...findings);
}
