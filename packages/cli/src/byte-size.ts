/** Binary multipliers of the size units accepted in the config (`KB` = 1024 bytes, like `du -h`). */
const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };

/**
 * A size in bytes from a number or a text such as `'2GB'`, `'500 MB'`, `'1.5GiB'` (units are
 * binary); `undefined` when it is not one. Pure.
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? UNITS[match[2]!.toUpperCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  return Math.floor(Number(match[1]) * unit);
}

