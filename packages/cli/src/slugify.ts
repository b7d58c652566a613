import { StrataError } from '@strata/core';

/** Longest slug `strata new` puts in a file name. */
export const MAX_SLUG_LENGTH = 60;

/**
 * Turns any name into a safe file-name slug: lower case, every run of characters outside
 * `[a-z0-9]` becomes `_`, no leading or trailing `_`, at most 60 characters. The result never
 * holds a path separator or `..`.
 * @throws StrataError `STRATA_USAGE` when nothing usable is left
 * @example slugify('Add Users!') // 'add_users'
 */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    // Accents become their base letter (é → e) rather than a separator.
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^_+|_+$/g, '');
  if (!slug) {
    throw new StrataError('STRATA_USAGE', `The migration name ${JSON.stringify(name)} has no letters or digits`, {
      hint: 'Name it after the change: strata new add_users',
    });
  }
  return slug;
}
