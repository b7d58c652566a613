import { isAbsolute, resolve } from 'node:path';
import { redactSecrets, StrataError } from '@strata/core';

/** The embedded default target. */
export const DEFAULT_URL = 'sqlite:./strata.db';

/** A database URL understood: which dialect and what to give it. */
export type ParsedTarget =
  | { kind: 'postgres'; url: string; secrets: string[] }
  | { kind: 'sqlite'; url: string; filename: string; memory: boolean; secrets: string[] };

/**
 * Parses a target URL. `postgres://…`/`postgresql://…` → PostgreSQL; `sqlite:relative.db`
 * (relative to `cwd`), `sqlite:/abs.db`, `sqlite:///abs.db`, `sqlite::memory:` → SQLite.
 * @throws StrataError `STRATA_CONFIG_INVALID` for any other scheme (the URL redacted)
 */
export function parseTargetUrl(url: string, cwd: string): ParsedTarget {
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    return { kind: 'postgres', url: trimmed, secrets: urlPasswords(trimmed) };
  }
  if (/^sqlite:/i.test(trimmed)) {
    let rest = trimmed.slice('sqlite:'.length);
    if (rest === ':memory:' || rest === '//:memory:')
      return { kind: 'sqlite', url: trimmed, filename: ':memory:', memory: true, secrets: [] };
    if (rest.startsWith('//')) rest = rest.slice(2);
    const query = rest.search(/[?#]/);
    if (query !== -1) rest = rest.slice(0, query);
    if (rest === '') throw invalidUrl(url, 'the SQLite file name is missing');
    let filename: string;
    try {
      filename = decodeURIComponent(rest);
    } catch {
      filename = rest;
    }
    filename = isAbsolute(filename) ? filename : resolve(cwd, filename);
    return { kind: 'sqlite', url: trimmed, filename, memory: false, secrets: [] };
  }
  throw invalidUrl(url, 'unknown scheme');
}

function invalidUrl(url: string, why: string): StrataError {
  const shown = redactSecrets(url, urlPasswords(url)).slice(0, 200);
  return new StrataError('STRATA_CONFIG_INVALID', `Cannot use the database URL ${JSON.stringify(shown)}: ${why}`, {
    hint: 'Use postgres://user@host:5432/db, sqlite:./file.db, sqlite:/abs/file.db or sqlite::memory:',
  });
}

/**
 * The password of a URL, raw and percent-decoded, for redaction. The credentials run to the LAST
 * `@` (a raw `@`, `#`, `/` or `?` belongs to the password), as the PostgreSQL dialect reads them.
 */
export function urlPasswords(url: string): string[] {
  const text = url.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0];
  const at = text.lastIndexOf('@');
  if (!scheme || at < scheme.length) return [];
  const userInfo = text.slice(scheme.length, at);
  const colon = userInfo.indexOf(':');
  const raw = colon < 0 ? undefined : userInfo.slice(colon + 1);
  if (!raw) return [];
  const out = new Set([raw]);
  try {
    out.add(decodeURIComponent(raw));
  } catch {
    // Not percent-encoded: the raw text is the password.
  }
  return [...out];
}

/** Where the effective URL came from, for `--verbose`. */
export type UrlSource = 'flag' | 'env' | 'config' | 'default' | 'direct-url-flag' | 'direct-url-config';

/**
 * Applies a direct URL (`--direct-url` or config `directUrl`): the URL migrations connect through
 * when `url` goes through a pooler. `--direct-url` wins over everything; config `directUrl` wins
 * over `DATABASE_URL` and config `url`, but not over an explicit `--url` (which names another target).
 */
export function pickDirectUrl(
  picked: { url: string; source: UrlSource },
  flag: string | undefined,
  config: string | undefined,
): { url: string; source: UrlSource } {
  if (flag) return { url: flag, source: 'direct-url-flag' };
  if (config && picked.source !== 'flag') return { url: config, source: 'direct-url-config' };
  return picked;
}

/** Picks the target: `--url` > `DATABASE_URL` > config `url` > {@link DEFAULT_URL}. */
export function pickUrl(flag: string | undefined, env: string | undefined, config: string | undefined): { url: string; source: UrlSource } {
  if (flag) return { url: flag, source: 'flag' };
  if (env) return { url: env, source: 'env' };
  if (config) return { url: config, source: 'config' };
  return { url: DEFAULT_URL, source: 'default' };
}

/** A URL for people: the password replaced by `***`. */
export function redactUrl(url: string): string {
  return redactSecrets(url, urlPasswords(url));
}
