import { setTimeout as delay } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { StrataError, redactSecrets } from '@strata/core';
import type { LockHolder } from '@strata/core';
import type { RunQuery } from './postgres-state-store.js';

/**
 * The advisory lock key of one state table: the first 8 bytes of SHA-256 over database, schema and
 * table (NUL-separated), as a signed 64-bit integer. Two schemas (or two state tables) on one
 * server get different keys, so their runs never block each other; every strata version computes
 * the same key, so two versions never run at once on the same state table.
 * @example
 * postgresAdvisoryLockKey('app', 'public', 'strata_migrations'); // a bigint
 */
export function postgresAdvisoryLockKey(database: string, schema: string, table: string): bigint {
  const digest = createHash('sha256').update(`strata\u0000${database}\u0000${schema}\u0000${table}`, 'utf8').digest();
  return digest.readBigInt64BE(0);
}

const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 500;

/** What the lock wait needs from the session. */
export interface AdvisoryLockOptions {
  run: RunQuery;
  key: bigint;
  /** For messages: `"schema"."table"`. */
  lockName: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * The first try, when the session wants to do more in the same round trip (read the state once
   * the lock is held); resolves to whether the lock was taken. Later tries use the plain query.
   */
  firstTry?: (() => Promise<boolean>) | undefined;
  /** Every later try; resolves to whether the lock was taken. @default the plain `pg_try_advisory_lock` */
  tryLock?: (() => Promise<boolean>) | undefined;
}

/** The plain try, as SQL with the key inlined (for multi-statement texts): one row, `locked`. */
export function tryAdvisoryLockSql(key: bigint): string {
  return `SELECT pg_try_advisory_lock(${key.toString()}::bigint) AS locked`;
}

/**
 * Takes the session advisory lock by polling `pg_try_advisory_lock` (50 ms growing to 500 ms)
 * until `timeoutMs`. It never blocks in the server and holds no transaction or snapshot while
 * waiting: a blocking `pg_advisory_lock` would sit in the lock queue where it can deadlock with
 * `CREATE INDEX CONCURRENTLY` run by the holder (which waits for all older snapshots).
 */
export async function acquireAdvisoryLock(options: AdvisoryLockOptions): Promise<void> {
  const { run, key, timeoutMs, signal } = options;
  const deadline = Date.now() + Math.max(0, timeoutMs);
  let delay = FIRST_DELAY_MS;
  let firstTry = options.firstTry;
  for (;;) {
    throwIfAborted(signal, options.lockName);
    if (firstTry) {
      const locked = await firstTry();
      firstTry = undefined;
      if (locked) return;
    } else if (options.tryLock) {
      if (await options.tryLock()) return;
    } else {
      const rows = await run<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key.toString()]);
      if (rows[0]?.locked === true) return;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(delay, remaining), signal);
    delay = Math.min(MAX_DELAY_MS, Math.round(delay * 1.6));
  }
  const holder = await findAdvisoryLockHolder(run, key).catch(() => undefined);
  throw lockTimeoutError(options.lockName, timeoutMs, holder);
}

/** Releases the lock; `pg_advisory_unlock` returning false means this session did not hold it. */
export async function releaseAdvisoryLock(run: RunQuery, key: bigint, lockName: string): Promise<void> {
  const rows = await run<{ released: boolean }>('SELECT pg_advisory_unlock($1::bigint) AS released', [key.toString()]);
  if (rows[0]?.released !== true) {
    throw new StrataError('STRATA_INTERNAL', `Migration lock on ${lockName} was not held by this session when releasing it`, {
      hint: 'A migration may have called pg_advisory_unlock_all() or DISCARD ALL; check that no other run overlapped',
      details: { lockKey: key.toString() },
    });
  }
}

/**
 * Who holds the advisory lock: `pg_locks` stores a bigint key as classid (high 32 bits) and
 * objid (low 32 bits) with objsubid 1.
 */
export async function findAdvisoryLockHolder(run: RunQuery, key: bigint): Promise<LockHolder | undefined> {
  const rows = await run<Record<string, unknown>>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.client_hostname,
            coalesce(a.xact_start, a.backend_start) AS since, a.backend_start, a.query
       FROM pg_catalog.pg_locks l
       JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
        AND l.classid::text::bigint = (($1::bigint >> 32) & 4294967295)
        AND l.objid::text::bigint = ($1::bigint & 4294967295)
      LIMIT 1`,
    [key.toString()],
  );
  const row = rows[0];
  if (!row) return undefined;
  return toLockHolder(row);
}

export function toLockHolder(row: Record<string, unknown>): LockHolder {
  const holder: LockHolder = {};
  if (row.pid !== null && row.pid !== undefined) holder.pid = Number(row.pid);
  if (row.application_name) holder.applicationName = String(row.application_name);
  if (row.client_addr) holder.clientAddress = String(row.client_addr);
  if (row.client_hostname) holder.host = String(row.client_hostname);
  if (row.since) holder.since = row.since instanceof Date ? row.since.toISOString() : String(row.since);
  if (row.query) holder.query = truncate(redactQueryText(String(row.query)), 200);
  return holder;
}

export function describeHolder(holder: LockHolder): string {
  const parts: string[] = [];
  if (holder.pid !== undefined) parts.push(`pid ${holder.pid}`);
  if (holder.applicationName) parts.push(`application "${holder.applicationName}"`);
  if (holder.clientAddress || holder.host) parts.push(`client ${holder.host ?? holder.clientAddress}`);
  if (holder.since) parts.push(`since ${holder.since}`);
  if (holder.query) parts.push(`running "${truncate(holder.query, 80)}"`);
  return parts.join(', ');
}

function lockTimeoutError(lockName: string, timeoutMs: number, holder: LockHolder | undefined): StrataError {
  const held = holder ? `held by ${describeHolder(holder)}` : 'its holder could not be identified';
  return new StrataError('STRATA_LOCK_TIMEOUT', `Migration lock on ${lockName} not acquired within ${timeoutMs} ms: ${held}`, {
    hint:
      holder?.pid !== undefined
        ? `Wait for the other run to finish or raise --lock-timeout; if that session is stuck, end it with SELECT pg_terminate_backend(${holder.pid})`
        : 'Wait for the other run to finish or raise --lock-timeout',
    details: { ...(holder ? { holder } : {}), lockTimeoutMs: timeoutMs },
  });
}

/**
 * Another session's query text may hold its own secrets (`ALTER ROLE … PASSWORD '…'`, a URL in a
 * `dblink` call): redact them before the text reaches a message.
 */
export function redactQueryText(query: string): string {
  return redactSecrets(query.replace(/\s+/g, ' ').trim()).replace(/(password\s+)(?:E?'(?:[^']|'')*'|\$[^$]*\$[\s\S]*?\$[^$]*\$)/gi, "$1'***'");
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function throwIfAborted(signal: AbortSignal | undefined, lockName: string): void {
  if (signal?.aborted) {
    throw new StrataError('STRATA_INTERRUPTED', `Interrupted while waiting for the migration lock on ${lockName}`, {
      cause: signal.reason,
    });
  }
}

/** Waits `ms`, or less when `signal` aborts (the caller checks it); never rejects. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined).catch(() => {});
}
