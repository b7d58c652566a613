import {
  isStrataError,
  type FailoverInfo,
  type PlanReport,
  type RunReport,
  type ValidationReport,
  type BaselineReport,
} from '@strata/core';
import type { BackupCommandResult } from '../commands/backup.js';
import type { HistoryResult } from '../commands/history.js';
import type { InitResult } from '../commands/init.js';
import type { NewResult } from '../commands/new.js';
import type { RepairResult } from '../commands/repair.js';
import type { ProblemResult, StatusResult } from '../commands/status.js';
import type { Colors, Output } from '../output.js';

/** Lays rows out in columns (no colour codes inside cells, so padding stays right). */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  colorize?: (row: number, column: number, cell: string) => string,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], row: number) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
        return colorize && row >= 0 ? colorize(row, i, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, -1), ...rows.map((r, i) => line(r, i))];
}

const STATE_COLOR: Record<string, keyof Colors> = {
  applied: 'green',
  pending: 'yellow',
  changed: 'red',
  missing: 'red',
  failed: 'red',
  running: 'red',
};

/** The line that says which target was used when failover is configured. */
export function failoverLine(failover: FailoverInfo | undefined): string | undefined {
  if (!failover) return undefined;
  return failover.used
    ? `FALLBACK in use: ${failover.fallback} (primary ${failover.primary}: ${failover.reason ?? 'unreachable'})`
    : `primary in use: ${failover.primary} (fallback ${failover.fallback} not needed)`;
}

function header(out: Output, target: string, dialect: string, failover?: FailoverInfo): void {
  out.info(`${out.colors.bold('target')} ${target} (${dialect})`);
  const line = failoverLine(failover);
  if (line) out.info(failover?.used ? out.colors.yellow(line) : line);
}

export function renderProblems(out: Output, problems: readonly ProblemResult[], write: (line: string) => void = (l) => out.info(l)): void {
  for (const p of problems) {
    write(`  ${out.colors.red(p.code)}: ${p.message}`);
    if (p.hint) write(`    hint: ${p.hint}`);
  }
}

export function renderStatus(out: Output, result: StatusResult, note?: string): void {
  header(out, result.target, result.dialect, result.failover);
  if (result.migrations.length === 0) {
    out.info(note ?? 'No migrations found.');
  } else {
    const rows = result.migrations.map((m) => [m.id, m.state, m.appliedAt ?? '-', m.name, m.file ?? '-']);
    for (const line of table(['ID', 'STATE', 'APPLIED AT', 'NAME', 'FILE'], rows, (row, column, cell) => {
      const color = STATE_COLOR[result.migrations[row]!.state];
      return column === 1 && color ? (out.colors[color] as (s: string) => string)(cell) : cell;
    }))
      out.info(line);
    const counts = new Map<string, number>();
    for (const m of result.migrations) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
    out.info('');
    out.info([...counts].map(([state, n]) => `${n} ${state}`).join(', '));
  }
  if (result.problems.length) {
    out.info('');
    out.info(out.colors.red(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:`));
    renderProblems(out, result.problems);
  }
}

export function renderRun(out: Output, report: RunReport): void {
  const verb = report.direction === 'up' ? 'applied' : 'reverted';
  const done = report.steps.filter((s) => s.outcome !== 'skipped').length;
  const line = failoverLine(report.failover);
  if (line) out.info(report.failover?.used ? out.colors.yellow(line) : line);
  if (report.steps.length === 0) {
    out.info(report.direction === 'up' ? `Nothing to apply: ${report.target} is up to date.` : `Nothing to revert on ${report.target}.`);
    return;
  }
  if (report.dryRun) {
    out.info(`Dry run: ${done} migration${done === 1 ? '' : 's'} ${verb} and rolled back on ${report.target}; nothing changed.`);
    for (const step of report.steps.filter((s) => s.outcome === 'rolled-back')) out.info(`  rolled back ${step.id}`);
  } else {
    out.info(out.colors.green(`${done} migration${done === 1 ? '' : 's'} ${verb} on ${report.target} in ${report.durationMs} ms.`));
  }
  for (const step of report.steps.filter((s) => s.outcome === 'skipped')) out.info(`  skipped ${step.id}: ${step.reason ?? ''}`);
}

export function renderPlan(out: Output, report: PlanReport): void {
  header(out, report.target, report.dialect, report.failover);
  if (report.steps.length === 0) out.info(report.direction === 'up' ? 'Nothing to apply.' : 'Nothing to revert.');
  for (const step of report.steps) {
    out.info('');
    out.info(
      out.colors.bold(
        `-- ${step.direction === 'up' ? 'apply' : 'revert'} ${step.id} (${step.name})${step.file ? ` from ${step.file}` : ''}${step.transaction ? '' : ' [no transaction]'}`,
      ),
    );
    // One line at a time: each output line is escaped on its own (a line break inside one is data).
    for (const sqlLine of (step.sql !== undefined ? step.sql.trimEnd() : '-- (a function body: its SQL is known only when it runs)').split(
      '\n',
    ))
      out.info(sqlLine);
    for (const write of step.stateWrites) out.info(`-- then: ${write}`);
  }
  if (report.problems.length) {
    out.info('');
    out.info(out.colors.red(`${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} would stop this run:`));
    renderProblems(
      out,
      report.problems.map((p) => ({
        code: p.code,
        message: p.message,
        hint: p.hint ?? null,
        migrationId: p.migrationId ?? null,
        file: p.file ?? null,
      })),
    );
  }
}

export function renderValidate(out: Output, report: ValidationReport): void {
  if (report.offline)
    out.info(`${out.colors.bold('offline')}: the files as they run on ${report.dialect}; checksums and state not compared (no database)`);
  else header(out, report.target, report.dialect, report.failover);
  if (report.ok) {
    out.info(out.colors.green(`OK: ${report.checked} migration${report.checked === 1 ? '' : 's'} checked, no problem found.`));
    return;
  }
  out.info(out.colors.red(`${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in ${report.checked} migrations:`));
  renderProblems(
    out,
    report.problems.map((p) => ({
      code: p.code,
      message: p.message,
      hint: p.hint ?? null,
      migrationId: p.migrationId ?? null,
      file: p.file ?? null,
    })),
  );
}

const REPAIR_FLAG: Record<string, string> = {
  'accept-checksum': '--accept-checksum',
  'drop-failed': '--drop-failed',
  'forget-missing': '--forget',
  'mark-applied': '--mark-applied',
  'mark-reverted': '--mark-reverted',
};

export function renderRepairActions(
  out: Output,
  result: Pick<RepairResult, 'actions'>,
  write: (line: string) => void = (l) => out.info(l),
): void {
  for (const action of result.actions) write(`  ${action.kind.padEnd(15)} ${action.id}  ${action.detail}`);
}

export function renderRepair(out: Output, result: RepairResult): void {
  header(out, result.target, result.dialect, result.failover);
  if (result.actions.length === 0) {
    out.info(result.suggested ? 'Nothing to repair.' : 'Nothing to do.');
    return;
  }
  if (result.suggested) {
    out.info('Suggested repairs (nothing was changed):');
    renderRepairActions(out, result);
    out.info('');
    out.info('Apply them with, for example:');
    const kinds = [...new Set(result.actions.map((a) => a.kind))];
    out.info(`  strata repair ${kinds.map((k) => `${REPAIR_FLAG[k]} all`).join(' ')} --yes`);
    return;
  }
  out.info(result.applied ? out.colors.green('Repaired:') : 'Would repair (nothing was changed):');
  renderRepairActions(out, result);
}

export function renderBaseline(out: Output, report: BaselineReport): void {
  header(out, report.target, report.dialect, report.failover);
  if (report.baselined.length === 0) {
    out.info('Nothing to baseline: every migration up to that version is already recorded.');
    return;
  }
  out.info(
    `${report.dryRun ? 'Would mark' : 'Marked'} ${report.baselined.length} migration${report.baselined.length === 1 ? '' : 's'} as applied without running them:`,
  );
  for (const id of report.baselined) out.info(`  ${id}`);
}

export function renderHistory(out: Output, result: HistoryResult): void {
  header(out, result.target, result.dialect, result.failover);
  if (result.events.length === 0) {
    out.info('No events yet.');
    return;
  }
  const rows = result.events.map((e) => [
    e.at,
    e.action,
    e.migrationId ?? '-',
    e.outcome,
    e.durationMs === null || e.durationMs < 0 ? '-' : `${e.durationMs} ms`,
    e.actor,
    [e.backupId ? `backup ${e.backupId}` : '', e.errorCode ? `${e.errorCode}: ${(e.errorMessage ?? '').split('\n')[0]!.slice(0, 100)}` : '']
      .filter(Boolean)
      .join('  '),
  ]);
  for (const line of table(['AT', 'ACTION', 'MIGRATION', 'OUTCOME', 'DURATION', 'ACTOR', 'DETAIL'], rows)) out.info(line);
}

export function renderInit(out: Output, result: InitResult): void {
  out.info(`created ${result.config}`);
  out.info(result.createdMigrations ? `created ${result.migrations}/` : `${result.migrations}/ already exists`);
  if (result.gitignore.length) out.info(`added ${result.gitignore.join(', ')} to .gitignore`);
  out.info('next: strata new create_invoices, then strata up');
}

export function renderNew(out: Output, result: NewResult): void {
  out.info(result.file);
}

const size = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`;

export function renderBackup(out: Output, result: BackupCommandResult): void {
  switch (result.action) {
    case 'create':
      out.info(
        out.colors.green(
          `backup ${result.backup.id} created and verified (${size(result.backup.size)}, sha256 ${result.backup.sha256.slice(0, 12)}…)`,
        ),
      );
      out.info(`  ${result.path}`);
      return;
    case 'list':
      if (result.backups.length === 0) {
        out.info(
          result.all
            ? `No backups in ${result.directory}.`
            : `No backups of ${result.target} in ${result.directory} (--all lists every target's).`,
        );
        return;
      }
      out.info(result.all ? `Backups of every target in ${result.directory}:` : `Backups of ${result.target} in ${result.directory}:`);
      for (const line of table(
        ['ID', 'CREATED AT', 'TARGET', 'SIZE', 'VERIFIED', 'SCHEMA'],
        result.backups.map((b) => [
          b.id,
          b.createdAt,
          (b.target === null ? `unknown (${b.database})` : b.target === result.target ? `${b.target} (this one)` : b.target) +
            (b.tenant !== undefined ? ` [tenant ${b.tenant}]` : ''),
          size(b.size),
          b.verified ? 'yes' : 'no',
          Object.entries(b.schemaVersions)
            .map(([m, v]) => `${m}@${v}`)
            .join(' ') || '-',
        ]),
      ))
        out.info(line);
      return;
    case 'verify':
      if (result.result.ok)
        out.info(out.colors.green(`backup ${result.result.id} is intact (hash and ${result.result.manifest.dialect} check ok)`));
      else {
        out.info(out.colors.red(`backup ${result.result.id} FAILED verification:`));
        for (const p of result.result.problems) out.info(`  ${p}`);
      }
      return;
    case 'restore':
      out.info(
        out.colors.green(
          `backup ${result.result.id}${result.result.manifest.tenant !== undefined ? ` (tenant ${result.result.manifest.tenant})` : ''} restored into ${result.result.target} in ${result.result.durationMs} ms`,
        ),
      );
      return;
    case 'prune':
      out.info(
        `${result.result.dryRun ? 'would remove' : 'removed'} ${result.result.removed.length} backup${result.result.removed.length === 1 ? '' : 's'}, kept ${result.result.kept.length}`,
      );
      for (const b of result.result.removed)
        out.info(`  ${result.result.dryRun ? 'would remove' : 'removed'} ${b.id} (${b.createdAt}, ${size(b.size)})`);
      return;
  }
}

const FAILED_RUN_OUTCOME: Record<string, string> = {
  'rolled-back': "rolled back (it ran; the run's one transaction was rolled back)",
  failed: 'failed',
  'not-run': 'not run',
};

/** The steps of a failed run, each as it ended: a step that ran inside a rolled-back transaction is not applied. */
function renderFailedRunSteps(out: Output, steps: unknown): void {
  if (!Array.isArray(steps) || steps.length === 0) return;
  out.error('steps:');
  for (const step of steps as { id: string; outcome: string }[])
    out.error(`  ${step.id}: ${FAILED_RUN_OUTCOME[step.outcome] ?? step.outcome}`);
}

/** An error for people: `error CODE: message`, `hint: …`, then one line per problem. */
export function renderError(out: Output, error: unknown): void {
  if (!isStrataError(error)) {
    out.error(`error STRATA_INTERNAL: ${error instanceof Error ? error.message : String(error)}`);
    out.error('hint: This is a bug in strata: please report it (run with --verbose for the stack)');
    if (out.verbose && error instanceof Error && error.stack) out.error(error.stack);
    return;
  }
  const sqlState = error.details.sqlState as string | undefined;
  const suffix = sqlState && !error.message.includes(sqlState) ? ` [SQLSTATE ${sqlState}]` : '';
  out.error(`${out.colors.red(`error ${error.code}`)}: ${error.message}${suffix}`);
  if (error.hint) out.error(`hint: ${error.hint}`);
  renderFailedRunSteps(out, error.details.steps);
  const holder = error.details.holder as Record<string, unknown> | undefined;
  if (holder && typeof holder === 'object') {
    const facts = Object.entries(holder).filter(([, v]) => v !== undefined && v !== null && v !== '');
    out.error(
      `lock holder: ${facts.length ? facts.map(([k, v]) => `${k}=${String(v)}`).join(' ') : 'unknown (not a strata run: another connection holds the lock)'}`,
    );
  }
  const problems = error.details.problems;
  if (Array.isArray(problems) && problems.length > 1) {
    renderProblems(
      out,
      problems.map((p) => ({
        code: p.code,
        message: p.message,
        hint: p.hint ?? null,
        migrationId: p.migrationId ?? null,
        file: p.file ?? null,
      })),
      (line) => out.error(line),
    );
  }
  if (out.verbose) {
    let cause = error.cause;
    for (let depth = 0; cause && depth < 5; depth++) {
      out.error(`cause: ${cause instanceof Error ? cause.message : String(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  }
}
