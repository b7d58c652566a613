import { StrataError } from '@strata/core';

/**
 * Multipliers of the size units accepted in the config and the environment. Binary throughout
 * (`KB` = `KiB` = `k` = 1024 bytes, as `du -h` and `ls -h` count), so `64MB` and `64MiB` agree.
 */
const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1024,
  KB: 1024,
  KIB: 1024,
  M: 1024 ** 2,
  MB: 1024 ** 2,
  MIB: 1024 ** 2,
  G: 1024 ** 3,
  GB: 1024 ** 3,
  GIB: 1024 ** 3,
  T: 1024 ** 4,
  TB: 1024 ** 4,
  TIB: 1024 ** 4,
};

/**
 * A size in bytes from a number or a text such as `'2GB'`, `'500 MB'`, `'1.5GiB'`, `'64k'`;
 * `undefined` when it is not one. Pure.
 */
export function toByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? UNITS[match[2]!.toUpperCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  return Math.floor(Number(match[1]) * unit);
}

/**
 * A positive size in bytes (a whole number, or a number with a unit as {@link toByteSize} reads).
 * @throws StrataError `STRATA_CONFIG_INVALID` naming `where`
 */
export function parseByteSize(value: string | number, where: string): number {
  const bytes = typeof value === 'number' && !Number.isInteger(value) ? undefined : toByteSize(value);
  if (bytes === undefined || bytes < 1) {
    throw new StrataError('STRATA_CONFIG_INVALID', `Invalid ${where} ${JSON.stringify(value)}`, {
      hint: `Give ${where} as a whole number of bytes or with a unit: 67108864, 64MiB, 500KB`,
    });
  }
  return bytes;
}
