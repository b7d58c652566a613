import { StrataError } from '@strata/core';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Parses a duration: `500ms`, `2s`, `1m`, `1h`, or a bare number of milliseconds.
 * @throws StrataError `STRATA_USAGE` naming the option and the value
 * @example parseDuration('2s') // 2000
 */
export function parseDuration(value: string | number, option = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
    throw invalid(String(value), option);
  }
  const match = DURATION.exec(value.trim());
  if (!match) throw invalid(value, option);
  const ms = Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 'ms') as keyof typeof UNIT_MS]);
  if (!Number.isSafeInteger(ms) || ms > 2_147_483_647) throw invalid(value, option);
  return ms;
}

/** Parses a max age such as `30d`, `12h`, `90m` (days allowed) into milliseconds. */
export function parseAge(value: string, option = '--max-age'): number {
  const match = /^(\d+)(d)$/.exec(value.trim());
  if (match) return Number(match[1]) * 86_400_000;
  return parseDuration(value, option);
}

function invalid(value: string, option: string): StrataError {
  return new StrataError('STRATA_USAGE', `Invalid ${option} ${JSON.stringify(value)}`, {
    hint: 'Give a duration such as 500ms, 2s, 1m, or a bare number of milliseconds',
  });
}
