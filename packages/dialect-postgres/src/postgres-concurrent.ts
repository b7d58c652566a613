import type { LockHolder } from '@strata/core';
import { toLockHolder } from './postgres-lock.js';
import type { RunQuery } from './postgres-state-store.js';

/**
 * Non-transactional index builds (`CREATE INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`,
 * `DROP INDEX CONCURRENTLY`, `DETACH PARTITION … CONCURRENTLY`) wait for every transaction older
 * than them, not for a table lock: they get their own, longer `lock_timeout`
 * (`concurrentLockTimeoutMs`), the sessions they wait for are watched while they wait (so a
 * timeout names them), and a failed build's INVALID index is found, reported and, on the next
 * run of the same `CREATE INDEX CONCURRENTLY`, dropped before it is built again.
 */

/** What a concurrent statement acts on, as quoted names for `to_regclass`. */
export interface ConcurrentTarget {
  kind: 'create-index' | 'reindex' | 'drop-index' | 'detach-partition';
  /** The index (`CREATE INDEX … name`, `REINDEX INDEX name`), when named. */
  index?: string;
  /** The table (`ON table`, `REINDEX TABLE table`, `ALTER TABLE table`). */
  table?: string;
}

/** Cheap pre-test before parsing a statement run outside a transaction. */
export const CONCURRENTLY = /\bconcurrently\b/i;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function rangeVarName(node: unknown, name?: string): string | undefined {
  const range = node as { relname?: string; schemaname?: string } | undefined;
  const relname = name ?? range?.relname;
  if (!relname) return undefined;
  return range?.schemaname ? `${quote(range.schemaname)}.${quote(relname)}` : quote(relname);
}

/** The concurrent index operation of a parsed statement, or undefined. */
export function concurrentTarget(tree: Record<string, unknown> | undefined): ConcurrentTarget | undefined {
  if (!tree) return undefined;
  const [kind] = Object.keys(tree);
  const node = (kind ? tree[kind] : undefined) as Record<string, unknown> | undefined;
  if (!node) return undefined;
  if (kind === 'IndexStmt' && node.concurrent) {
    const table = rangeVarName(node.relation);
    const index = typeof node.idxname === 'string' ? rangeVarName(node.relation, node.idxname) : undefined;
    return { kind: 'create-index', ...(table ? { table } : {}), ...(index ? { index } : {}) };
  }
  if (kind === 'ReindexStmt' && JSON.stringify(node.params ?? []).includes('"concurrently"')) {
    const name = rangeVarName(node.relation);
    return node.kind === 'REINDEX_OBJECT_INDEX'
      ? { kind: 'reindex', ...(name ? { index: name } : {}) }
      : { kind: 'reindex', ...(name ? { table: name } : {}) };
  }
  if (kind === 'DropStmt' && node.concurrent) return { kind: 'drop-index' };
  if (kind === 'AlterTableStmt' && JSON.stringify(node.cmds ?? []).includes('"concurrent":true')) {
    const table = rangeVarName(node.relation);
    return { kind: 'detach-partition', ...(table ? { table } : {}) };
  }
  return undefined;
}

/** Whether the index named by `CREATE INDEX CONCURRENTLY name` exists and is INVALID (a failed build's leftover). */
export async function isInvalidIndex(run: RunQuery, index: string): Promise<boolean> {
  const rows = await run<{ invalid: boolean }>(
    'SELECT NOT i.indisvalid AS invalid FROM pg_catalog.pg_index i WHERE i.indexrelid = to_regclass($1)',
    [index],
  );
  return rows[0]?.invalid === true;
}

/**
 * The INVALID indexes a failed concurrent statement may have left: on its table, or the named
 * index itself (and, for `REINDEX INDEX`, the `_ccnew` copies on the index's table).
 */
export async function findInvalidIndexes(run: RunQuery, target: ConcurrentTarget): Promise<string[]> {
  if (!target.table && !target.index) return [];
  const rows = await run<{ name: string }>(
    `SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid
        AND (i.indrelid = to_regclass($1) OR i.indexrelid = to_regclass($2)
             OR i.indrelid = (SELECT x.indrelid FROM pg_catalog.pg_index x WHERE x.indexrelid = to_regclass($2)))
      ORDER BY 1`,
    [target.table ?? null, target.index ?? null],
  );
  return rows.map((row) => row.name);
}

/**
 * Watches, from a side connection, which sessions `pid` waits for (`pg_blocking_pids`, which
 * covers the wait of a concurrent build for older transactions) while it runs. Starts after
 * `delayMs` (a quick statement costs nothing) and polls every `everyMs`; `stop()` returns the
 * last blockers seen.
 */
export function watchBlockers(
  openSide: () => Promise<{ run: RunQuery; close: () => Promise<void> }>,
  pid: number,
  delayMs = 1000,
  everyMs = 1000,
): { stop(): Promise<LockHolder[]> } {
  let stopped = false;
  let seen: LockHolder[] = [];
  let side: { run: RunQuery; close: () => Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  const poll = async () => {
    if (stopped) return;
    try {
      side ??= await openSide();
      if (stopped) return;
      const rows = await side.run<Record<string, unknown>>(
        `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.client_hostname,
                coalesce(a.xact_start, a.backend_start) AS since, a.query
           FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY (pg_catalog.pg_blocking_pids($1)) ORDER BY a.xact_start`,
        [pid],
      );
      if (rows.length) seen = rows.map(toLockHolder);
    } catch {
      // Best effort: the statement's own outcome is what counts.
    }
    if (!stopped) timer = setTimeout(() => (polling = poll()), everyMs);
  };
  timer = setTimeout(() => (polling = poll()), delayMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await polling;
      await side?.close().catch(() => {});
      return seen;
    },
  };
}
