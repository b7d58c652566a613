import { StrataError } from '@strata/core';
import type { StateWrite } from '@strata/core';
import { connectClient } from './postgres-connect.js';
import type { PostgresSessionSettings } from './postgres-session.js';
import { qualifiedName } from './postgres-state-store.js';
import type { PostgresStateTables } from './postgres-state-store.js';

/** How long to wait for the old backend to end before reading the state back. */
const BACKEND_GONE_TIMEOUT_MS = 30_000;

/** What was learnt about a transaction whose COMMIT reply never arrived. */
export type CommitOutcome = 'committed' | 'rolled-back' | 'unknown';

/**
 * The connection broke after a step's COMMIT was sent (or while it ran): the server may have
 * committed. Reconnects, waits until the old backend has ended (until then its transaction may
 * still commit or roll back), and reads the step's state row back. Returns the error to throw,
 * with `details.commitOutcome` saying what the state table shows; it never claims a rollback
 * that was not seen.
 */
export async function verifyLostCommit(
  lost: StrataError,
  context: { settings: PostgresSessionSettings; tables: PostgresStateTables; writes: readonly StateWrite[]; backendPid: number },
): Promise<StrataError> {
  const { settings, tables, writes, backendPid } = context;
  const write = writes.find((w) => w.kind === 'insert' || w.kind === 'upsert' || w.kind === 'delete');
  if (!write) return lost;
  const module = write.kind === 'delete' ? write.module : write.row.module;
  const version = write.kind === 'delete' ? write.version : write.row.version;
  const id = `${module}@${version}`;
  let outcome: CommitOutcome = 'unknown';
  let why = '';
  try {
    const client = await connectClient(settings, {
      ...settings.clientConfig,
      application_name: `${settings.clientConfig.application_name ?? 'strata'} (check)`.slice(0, 63),
    });
    try {
      const deadline = Date.now() + BACKEND_GONE_TIMEOUT_MS;
      for (;;) {
        const alive = await client.query('SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = $1', [backendPid]);
        if (alive.rowCount === 0) break;
        if (Date.now() > deadline) throw new Error(`backend ${backendPid} is still running after ${BACKEND_GONE_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const rows = (
        await client.query(
          `SELECT status, applied_by, (extract(epoch FROM applied_at) * 1000)::bigint AS at_ms FROM ${qualifiedName(tables.schema, tables.migrations)} WHERE module = $1 AND version = $2`,
          [module, version],
        )
      ).rows as { status: string; applied_by: string; at_ms: string }[];
      const row = rows[0];
      if (write.kind === 'delete') {
        outcome = row ? 'rolled-back' : 'committed';
      } else {
        // This run's own row: same status, same actor, same timestamp (to the millisecond).
        const ours =
          row &&
          row.status === write.row.status &&
          row.applied_by === write.row.appliedBy &&
          Number(row.at_ms) === Date.parse(write.row.appliedAt);
        outcome = ours ? 'committed' : row ? 'unknown' : 'rolled-back';
        if (!ours && row) why = `the state row of ${id} was written by another run (${row.applied_by})`;
      }
    } finally {
      await client.end().catch(() => {});
    }
  } catch (error) {
    why = error instanceof Error ? error.message : String(error);
  }
  const applied = write.kind === 'delete' ? 'reverted' : 'applied';
  const base = `Lost the connection to PostgreSQL at ${settings.target} during the COMMIT of ${id}`;
  const details = { ...lost.details, commitOutcome: outcome, migrationId: id };
  if (outcome === 'committed') {
    return new StrataError('STRATA_CONNECTION_FAILED', `${base}; read back from the state table: it committed, ${id} is ${applied}`, {
      hint: 'Run the command again to continue with the migrations after it',
      cause: lost,
      details,
    });
  }
  if (outcome === 'rolled-back') {
    return new StrataError(
      'STRATA_CONNECTION_FAILED',
      `${base}; read back from the state table: it did not commit, nothing of ${id} was ${applied}`,
      {
        hint: 'Run the command again when the connection is stable',
        cause: lost,
        details,
      },
    );
  }
  return new StrataError('STRATA_CONNECTION_FAILED', `${base}; whether it committed could not be read back${why ? ` (${why})` : ''}`, {
    hint: `Check with \`strata status\` whether ${id} is ${applied} before running again`,
    cause: lost,
    details,
  });
}
