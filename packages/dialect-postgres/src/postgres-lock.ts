import { createHash } from 'node:crypto';
import { redactSecrets } from '@strata/core';
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

/**
 * Another session's query text may hold its own secrets (`ALTER ROLE … PASSWORD '…'`, a URL in a
 * `dblink` call): redact them before the text reaches a message.
 */
export function redactQueryText(query: string): string {
  return redactSecrets(query.replace(/\s+/g, ' ').trim()).replace(
    /(password\s+)(?:E?'(?:[^']|'')*'|\$[^$]*\$[\s\S]*?\$[^$]*\$)/gi,
    "$1'***'",
  );
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
