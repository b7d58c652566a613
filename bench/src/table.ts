/** One line of the report: a measured figure, its baseline, and the target it must meet. */
export interface Row {
  workload: string;
  subject: string;
  ms: number;
  /** Name of the baseline row this one is compared with. */
  baseline?: string;
  baselineMs?: number;
  /** e.g. '<= 1.3x' or '< 100 ms' */
  target?: string;
  /** Whether the target is met. */
  ok?: boolean;
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function ratioRow(workload: string, subject: string, ms: number, baseline: string, baselineMs: number, maxRatio: number): Row {
  return { workload, subject, ms, baseline, baselineMs, target: `<= ${maxRatio}x`, ok: ms / baselineMs <= maxRatio };
}

export function printTable(rows: Row[]): string {
  const lines = [
    '| workload | subject | median ms | vs baseline | ratio | target | met |',
    '| --- | --- | ---: | --- | ---: | --- | --- |',
  ];
  for (const row of rows) {
    const ratio = row.baselineMs ? `${(row.ms / row.baselineMs).toFixed(2)}x` : '';
    lines.push(
      `| ${row.workload} | ${row.subject} | ${row.ms.toFixed(1)} | ${row.baseline ?? ''} | ${ratio} | ${row.target ?? ''} | ${row.ok === undefined ? '' : row.ok ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n');
}
