import type { LockHolder } from '@strata/core';
import { describeHolder, toLockHolder } from './postgres-lock.js';
import type { RunQuery } from './postgres-state-store.js';

/**
 * The relations a parsed statement names (every `RangeVar` in its tree), as quoted names ready
 * for `to_regclass`.
 */
export function relationsOf(tree: unknown): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const relname = typeof record.relname === 'string' ? record.relname : undefined;
    if (relname) {
      const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
      found.add(typeof record.schemaname === 'string' ? `${quote(record.schemaname)}.${quote(relname)}` : quote(relname));
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(tree);
  return [...found];
}

const HOLDER_COLUMNS = `a.pid, a.application_name, host(a.client_addr) AS client_addr, a.client_hostname,
  coalesce(a.xact_start, a.backend_start) AS since, a.query`;

/**
 * Sessions that hold a granted lock on one of `relations` (or, when none is known or none
 * matches, on any user relation of this database), oldest transaction first. Runs on a side
 * connection after a `lock_timeout`: by then the failed session's wait is over, so
 * `pg_blocking_pids` would return nothing; the holders of the relation's locks are the culprits
 * (a long transaction, often `idle in transaction`).
 */
export async function findRelationLockHolders(
  run: RunQuery,
  blockedPid: number,
  relations: readonly string[],
): Promise<{ holders: LockHolder[]; exact: boolean }> {
  const base = `SELECT DISTINCT ON (a.pid) ${HOLDER_COLUMNS}
     FROM pg_catalog.pg_locks l
     JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
     JOIN pg_catalog.pg_class c ON c.oid = l.relation
    WHERE l.locktype = 'relation' AND l.granted
      AND l.pid <> $1 AND l.pid <> pg_backend_pid()
      AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
      AND c.relnamespace <> 'pg_catalog'::regnamespace`;
  const order = ' ORDER BY a.pid, a.xact_start';
  if (relations.length > 0) {
    const rows = await run<Record<string, unknown>>(
      `${base} AND l.relation IN (SELECT to_regclass(name) FROM unnest($2::text[]) AS name)${order}`,
      [blockedPid, relations],
    );
    if (rows.length > 0) return { holders: sortBySince(rows.map(toLockHolder)).slice(0, 5), exact: true };
  }
  const rows = await run<Record<string, unknown>>(`${base} AND a.xact_start IS NOT NULL${order}`, [blockedPid]);
  return { holders: sortBySince(rows.map(toLockHolder)).slice(0, 5), exact: false };
}

function sortBySince(holders: LockHolder[]): LockHolder[] {
  return holders.sort((a, b) => (a.since ?? '').localeCompare(b.since ?? ''));
}

export function describeBlockers(found: { holders: readonly LockHolder[]; exact: boolean }): string {
  if (found.holders.length === 0) return 'the blocking session could not be identified (it may have finished)';
  return `${found.exact ? 'blocked by' : 'possibly blocked by (transactions holding table locks)'} ${found.holders.map(describeHolder).join('; ')}`;
}
