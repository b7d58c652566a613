import { StrataError } from '@strata/core';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/**
 * A size in bytes: a whole number (`67108864`), or a number with a unit (`64MiB`, `500kb`,
 * `1g`; `k`/`m`/`g` are binary, `kb`/`mb`/`gb` decimal).
 * @throws StrataError `STRATA_CONFIG_INVALID` naming `where`
 */
export function parseByteSize(value: string | number, where: string): number {
  const match = typeof value === 'number' ? null : /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const bytes = typeof value === 'number' ? value : match ? Number(match[1]) * (UNITS[match[2]!.toLowerCase()] ?? Number.NaN) : Number.NaN;
  if (!Number.isFinite(bytes) || bytes < 1 || (typeof value === 'number' && !Number.isInteger(value))) {
    throw new StrataError('STRATA_CONFIG_INVALID', `Invalid ${where} ${JSON.stringify(value)}`, {
      hint: `Give ${where} as a whole number of bytes or with a unit: 67108864, 64MiB, 500kb`,
    });
  }
  return Math.floor(bytes);
}
