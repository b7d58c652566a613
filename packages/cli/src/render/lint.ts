import type { LintCommandResult } from '../commands/lint.js';
import type { Output } from '../output.js';
import { renderProblems } from './text.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `strata lint`: each finding as `file:line:column severity rule`, its message, excerpt and hint. */
export function renderLint(out: Output, result: LintCommandResult): void {
  const { colors } = out;
  // One write for all the findings: a thousand findings are four thousand lines.
  const scope =
    result.scope === 'pending' ? 'pending migrations' : result.scope === 'changed' ? 'migrations changed on this branch' : 'all migrations';
  const lines = [`lint: ${scope} for ${result.dialect}${result.target ? ` (${result.target})` : ''}`];
  for (const finding of result.findings) {
    const severity = finding.severity === 'error' ? colors.red('error') : colors.yellow('warning');
    lines.push(
      `${finding.file}:${finding.line}:${finding.column} ${severity} ${colors.bold(finding.rule)}`,
      `  ${finding.message}`,
      `  > ${finding.excerpt}`,
    );
    if (finding.hint) lines.push(`  hint: ${finding.hint}`);
  }
  for (const skip of result.skipped) lines.push(`  not linted: ${skip.id}: ${skip.reason}`);
  out.info(lines.join('\n'));
  if (result.problems.length) {
    out.info(colors.red(`${plural(result.problems.length, 'problem')} in the migration files:`));
    renderProblems(out, result.problems);
  }
  const counted = `${plural(result.migrations, 'migration')}, ${plural(result.statements, 'statement')}`;
  const suppressed = result.suppressed ? `; ${result.suppressed} suppressed by lint-ignore` : '';
  if (result.findings.length === 0) {
    out.info(colors.green(`OK: no finding in ${counted}${suppressed}.`));
  } else {
    const summary = `${plural(result.errors, 'error')}, ${plural(result.warnings, 'warning')} in ${counted}${suppressed}.`;
    out.info(result.errors ? colors.red(summary) : colors.yellow(summary));
  }
}

/** Escapes a GitHub Actions workflow-command value (`%`, CR, LF; `:` and `,` in properties). */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * `--format github`: one workflow command per finding, so GitHub Actions shows it on the pull
 * request's diff (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
 */
export function renderLintGithub(write: (text: string) => void, result: LintCommandResult): void {
  const lines: string[] = [];
  for (const finding of result.findings) {
    const properties = `file=${escapeProperty(finding.file)},line=${finding.line},col=${finding.column},title=${escapeProperty(`strata lint ${finding.rule}`)}`;
    lines.push(
      `::${finding.severity === 'error' ? 'error' : 'warning'} ${properties}::${escapeData(`${finding.message}. ${finding.hint}`)}`,
    );
  }
  for (const problem of result.problems) {
    lines.push(
      `::error ${problem.file ? `file=${escapeProperty(problem.file)},` : ''}title=${escapeProperty(problem.code)}::${escapeData(problem.message)}`,
    );
  }
  lines.push(
    `strata lint: ${plural(result.errors, 'error')}, ${plural(result.warnings, 'warning')} in ${plural(result.migrations, 'migration')}`,
  );
  write(`${lines.join('\n')}\n`);
}
