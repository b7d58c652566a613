import { redactSecrets, StrataError } from '@strata/core';

const SCHEME = /^([a-z][a-z0-9+.-]*:\/\/)/i;

/** The pieces of a connection URL's user-info part, found without a URL parser. */
interface UserInfo {
  scheme: string;
  user: string;
  /** The password exactly as written in the URL (maybe percent-encoded); undefined when absent. */
  password: string | undefined;
  /** Everything after the `@` that ends the user-info part. */
  rest: string;
}

/**
 * Splits `scheme://user:password@rest` by hand. The password may hold raw `@`, `#`, `/` or `?`
 * (people paste them unencoded and `new URL` then fails or mis-parses), so the user-info part
 * runs to the LAST `@` of the string: that over-redacts a URL with an `@` in its query string,
 * which is the safe side to err on.
 */
function splitUserInfo(url: string): UserInfo | undefined {
  const scheme = SCHEME.exec(url)?.[1];
  if (!scheme) return undefined;
  const afterScheme = url.slice(scheme.length);
  const at = afterScheme.lastIndexOf('@');
  if (at < 0) return { scheme, user: '', password: undefined, rest: afterScheme };
  const userInfo = afterScheme.slice(0, at);
  const colon = userInfo.indexOf(':');
  return {
    scheme,
    user: colon < 0 ? userInfo : userInfo.slice(0, colon),
    password: colon < 0 ? undefined : userInfo.slice(colon + 1),
    rest: afterScheme.slice(at + 1),
  };
}

/**
 * A PostgreSQL URL with its password replaced by `***`, for people and logs:
 * `postgres://app:***@db:5432/prod`. Works on URLs that `new URL` cannot parse (a raw `@` or `#`
 * in the password) and on `password=` query parameters.
 * @example
 * redactPostgresUrl('postgres://app:s3cret@db/prod'); // 'postgres://app:***@db/prod'
 */
export function redactPostgresUrl(url: string): string {
  const parts = splitUserInfo(url);
  if (!parts) return redactSecrets(url, passwordsInUrl(url));
  const userInfo = parts.password === undefined ? (parts.user ? `${parts.user}@` : '') : `${parts.user}:***@`;
  const hadAt = parts.password !== undefined || parts.user !== '' || url.slice(parts.scheme.length).includes('@');
  const head = hadAt ? `${parts.scheme}${userInfo}` : parts.scheme;
  return redactSecrets(`${head}${parts.rest}`, passwordsInUrl(url));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: the text is meant as it is (a raw `%`)
  }
}

/**
 * The URL as users mean it, in a form every URL parser reads the same way: the user-info part
 * runs to the LAST `@` (so a raw `@`, `#`, `/`, `?` or `%` in the password stays in the password),
 * and the user and password are percent-encoded (valid percent-encoding is kept as it was meant).
 * The host, port, database and parameters after that `@` are left exactly as written: the driver
 * connects to the host that {@link redactPostgresUrl} prints. A `@` in a query parameter must
 * then be written `%40`.
 * @throws StrataError `STRATA_CONFIG_INVALID` (the URL redacted) when what follows the credentials is not a valid host, port and database
 * @example normalizePostgresUrl('postgres://app:p@ss#1@db:5432/prod') // 'postgres://app:p%40ss%231@db:5432/prod'
 */
export function normalizePostgresUrl(url: string): string {
  const parts = splitUserInfo(url);
  if (!parts || !url.slice(parts.scheme.length).includes('@')) return url;
  const encode = (text: string) => encodeURIComponent(safeDecode(text));
  const userInfo = parts.password === undefined ? encode(parts.user) : `${encode(parts.user)}:${encode(parts.password)}`;
  const normalized = `${parts.scheme}${userInfo}@${parts.rest}`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(normalized);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.hostname === '' && !/^\/|^[?#]|^$/.test(parts.rest))) {
    throw new StrataError(
      'STRATA_CONFIG_INVALID',
      `Cannot read the PostgreSQL URL ${redactPostgresUrl(url)}: the part after the credentials is not host[:port][/database][?parameters]`,
      {
        hint: 'Check the host and port; a password may hold any character, other special characters belong percent-encoded (@ → %40, # → %23, / → %2F)',
      },
    );
  }
  return normalized;
}

/**
 * Every form in which the URL's password could show up in a driver message: as written, and
 * percent-decoded (what the server and the driver actually use), plus `password=` parameters.
 */
export function passwordsInUrl(url: string): string[] {
  const found: string[] = [];
  const password = splitUserInfo(url)?.password;
  if (password) {
    found.push(password);
    try {
      const decoded = decodeURIComponent(password);
      if (decoded !== password) found.push(decoded);
    } catch {
      // Not valid percent-encoding: the raw form is what the driver sees.
    }
  }
  for (const match of url.matchAll(/[?&]password=([^&#]*)/gi)) {
    const value = match[1];
    if (value) {
      found.push(value);
      try {
        found.push(decodeURIComponent(value));
      } catch {
        // Keep the raw form only.
      }
    }
  }
  return found;
}

/** Connection facts used to describe a target without a URL. */
export interface PostgresTargetParts {
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  database?: string | undefined;
  hasPassword: boolean;
}

/** `postgres://user:***@host:port/database` from discrete connection settings (libpq defaults). */
export function formatPostgresTarget(parts: PostgresTargetParts): string {
  const user = parts.user ?? process.env.PGUSER ?? '';
  const host = parts.host ?? process.env.PGHOST ?? 'localhost';
  const port = parts.port ?? (process.env.PGPORT ? Number(process.env.PGPORT) : 5432);
  const database = parts.database ?? process.env.PGDATABASE ?? user;
  const userInfo = user ? `${encodeURIComponent(user)}${parts.hasPassword ? ':***' : ''}@` : '';
  const hostPart = host.startsWith('/') ? encodeURIComponent(host) : host;
  return `postgres://${userInfo}${hostPart}:${port}/${encodeURIComponent(database)}`;
}
