/** A PostgreSQL connection split into its parts, the password kept apart from everything else. */
export interface PostgresTarget {
  host?: string;
  port?: string;
  user?: string;
  database?: string;
  /** Never placed on a command line: goes to child processes as PGPASSWORD. */
  password?: string;
  /** libpq keywords from the URL's query string (sslmode, application_name, …). */
  params: Record<string, string>;
}

/** Structural subset of pg's client config accepted as `connection`. */
export interface PostgresConnectionConfig {
  host?: string;
  port?: number | string;
  user?: string;
  password?: string;
  database?: string;
}

/** libpq connection keywords that may be passed through from a URL's query string. */
const LIBPQ_KEYWORDS = new Set([
  'host',
  'hostaddr',
  'port',
  'user',
  'dbname',
  'passfile',
  'connect_timeout',
  'client_encoding',
  'options',
  'application_name',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'sslmode',
  'sslcompression',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'gssencmode',
  'krbsrvname',
  'gsslib',
  'service',
  'target_session_attrs',
  'channel_binding',
]);

/** Query keys that hold secrets: moved to the environment, never to argv. */
const SECRET_KEYS = new Set(['password', 'sslpassword']);

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Parses `postgres://user:password@host:port/db?sslmode=require` by hand: a password may hold raw
 * `@`, `/`, `#` that `new URL` cannot take, so the user-info part runs to the LAST `@`. Pure.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  const match = /^postgres(?:ql)?:\/\/(.*)$/is.exec(url.trim());
  if (!match) throw new Error('not a postgres:// or postgresql:// URL');
  let rest = match[1] ?? '';
  const target: PostgresTarget = { params: {} };
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userInfo.indexOf(':');
    const user = safeDecode(colon < 0 ? userInfo : userInfo.slice(0, colon));
    if (user) target.user = user;
    if (colon >= 0) target.password = safeDecode(userInfo.slice(colon + 1));
  }
  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) rest = rest.slice(0, hashAt);
  const queryAt = rest.indexOf('?');
  const query = queryAt >= 0 ? rest.slice(queryAt + 1) : '';
  if (queryAt >= 0) rest = rest.slice(0, queryAt);
  const slash = rest.indexOf('/');
  const hostPort = slash >= 0 ? rest.slice(0, slash) : rest;
  const database = slash >= 0 ? safeDecode(rest.slice(slash + 1)) : '';
  if (database) target.database = database;
  const portMatch = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
  const host = portMatch?.[1] ?? hostPort;
  if (host) target.host = safeDecode(host.replace(/^\[(.*)\]$/, '$1'));
  if (portMatch?.[2]) target.port = portMatch[2];
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = safeDecode(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === 'password') target.password = value;
    else if (key === 'host') target.host = value;
    else if (key === 'port') target.port = value;
    else if (key === 'user') target.user = value;
    else if (key === 'dbname') target.database = value;
    else if (key === 'ssl' && (value === 'true' || value === '1') && !target.params.sslmode) target.params.sslmode = 'require';
    else if (LIBPQ_KEYWORDS.has(key) && !SECRET_KEYS.has(key)) target.params[key] = value;
  }
  return target;
}

/** A target from pg-style connection fields. */
export function targetFromConfig(config: PostgresConnectionConfig): PostgresTarget {
  const target: PostgresTarget = { params: {} };
  if (config.host) target.host = config.host;
  if (config.port !== undefined) target.port = String(config.port);
  if (config.user) target.user = config.user;
  if (config.password) target.password = config.password;
  if (config.database) target.database = config.database;
  return target;
}

function quoteConninfo(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A libpq keyword/value connection string WITHOUT the password, for `--dbname` of pg_dump,
 * pg_restore and psql (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING).
 */
export function toConninfo(target: PostgresTarget, database = target.database): string {
  const parts: string[] = [];
  if (target.host) parts.push(`host=${quoteConninfo(target.host)}`);
  if (target.port) parts.push(`port=${quoteConninfo(target.port)}`);
  if (target.user) parts.push(`user=${quoteConninfo(target.user)}`);
  if (database) parts.push(`dbname=${quoteConninfo(database)}`);
  for (const [key, value] of Object.entries(target.params)) parts.push(`${key}=${quoteConninfo(value)}`);
  return parts.join(' ');
}

/** `postgres://user@host:port/db`: the target for people, manifests and errors. */
export function describeTarget(target: PostgresTarget, database = target.database): string {
  const user = target.user ? `${encodeURIComponent(target.user)}@` : '';
  const host = target.host?.startsWith('/') ? '' : target.host?.includes(':') ? `[${target.host}]` : (target.host ?? '');
  const port = target.port ? `:${target.port}` : '';
  const socket = target.host?.startsWith('/') ? `?host=${encodeURIComponent(target.host)}` : '';
  return `postgres://${user}${host}${port}/${encodeURIComponent(database ?? '')}${socket}`;
}

/** Config for pg's Client (password included: pg never puts it on a command line). */
export function toPgConfig(target: PostgresTarget, database = target.database): Record<string, unknown> {
  const sslmode = target.params.sslmode;
  return {
    ...(target.host ? { host: target.host } : {}),
    ...(target.port ? { port: Number(target.port) } : {}),
    ...(target.user ? { user: target.user } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(database ? { database } : {}),
    ...(sslmode && sslmode !== 'disable' && sslmode !== 'allow' && sslmode !== 'prefer'
      ? { ssl: sslmode === 'verify-full' || sslmode === 'verify-ca' ? true : { rejectUnauthorized: false } }
      : {}),
    application_name: 'strata-backup',
    connectionTimeoutMillis: 10_000,
  };
}

/** Environment for a libpq tool: the password through PGPASSWORD, never argv. */
export function toolEnvironment(target: PostgresTarget): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'strata-backup' };
  if (target.password !== undefined) env.PGPASSWORD = target.password;
  return env;
}

/** Every form in which the password could leak into a tool's or driver's message. */
export function secretsOf(target: PostgresTarget): string[] {
  const password = target.password;
  if (!password) return [];
  const forms = new Set([password, encodeURIComponent(password)]);
  return [...forms];
}

/**
 * The canonical identity of a database on a server: `postgres://host:port/database`, host
 * lower-cased, libpq's defaults filled in (PGHOST/PGPORT/PGDATABASE, else localhost, 5432 and
 * the user name), no user and no password; `?schemas=a,b` (sorted) when only some schemas are
 * covered. Two spellings of the same target give the same identity.
 */
export function targetIdentity(target: PostgresTarget, schemas: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string {
  const rawHost = (target.host ?? env.PGHOST ?? 'localhost').split(',')[0]!;
  const host = rawHost.startsWith('/') ? rawHost : rawHost.toLowerCase();
  const port = (target.port ?? env.PGPORT ?? '5432').split(',')[0]!;
  const database = target.database ?? env.PGDATABASE ?? target.user ?? env.PGUSER ?? '';
  const shownHost = host.startsWith('/') ? '' : host.includes(':') ? `[${host}]` : host;
  const socket = host.startsWith('/') ? `host=${encodeURIComponent(host)}` : '';
  const covered = schemas.length ? `schemas=${[...new Set(schemas)].sort().join(',')}` : '';
  const query = [socket, covered].filter(Boolean).join('&');
  return `postgres://${shownHost}:${port}/${encodeURIComponent(database)}${query ? `?${query}` : ''}`;
}
