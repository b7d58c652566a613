import { StrataError } from '@strata/core';
import transliterate from 'slugify';

/** Longest slug `strata new` puts in a file name. */
export const MAX_SLUG_LENGTH = 60;

/**
 * Turns any name into a safe file-name slug: letters of other scripts transliterated to ASCII
 * (`slugify`'s character map: ß → ss, Æ → AE, ø → o, Cyrillic, Greek, …), lower case, every run of
 * characters outside `[a-z0-9]` becomes `_`, no leading or trailing `_`, at most 60 characters.
 * The result never holds a path separator or `..`. (Only `strata new` imports this file.)
 * @throws StrataError `STRATA_USAGE` when nothing usable is left
 * @example slugify('Add Users!') // 'add_users'
 */
export function slugify(name: string): string {
  const slug = toAscii(name)
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

/**
 * Each non-ASCII character through `slugify`'s transliteration map. ASCII punctuation is left to
 * the caller's rules.
 */
function toAscii(name: string): string {
  return name.normalize('NFC').replace(/[^\x00-\x7f]/gu, (char) => {
    const mapped = transliterate(char, { lower: false, strict: false, trim: false, replacement: ' ' });
    if (mapped && /^[\x00-\x7f]+$/.test(mapped)) return mapped;
    // A letter mapped to nothing (Cyrillic ь) or a combining mark goes; any other sign splits words.
    return /[\p{L}\p{M}]/u.test(char) ? '' : ' ';
  });
}
