import { StrataError } from '@strata/core';

/**
 * Checks that a migration session is still one server session holding the migration lock.
 *
 * A session advisory lock protects a run only while every statement of the run reaches the same
 * server backend. Through a connection pooler in transaction mode (PgBouncer
 * `pool_mode = transaction`, most hosted poolers) each transaction may run on another backend, and
 * another client may run on ours between two of our transactions: the lock then protects nothing.
 * strata gives each migrate session a random token (`SET strata.session_token`, session-level)
 * and checks, inside round trips it makes anyway, that the backend pid and the token are still its
 * own and that the lock is held by this backend. A check that fails raises an error in the server
 * (a cast of a marked text to integer: no PL/pgSQL, no extra round trip), so the statements after
 * it in the same round trip never run.
 */

/** Name of the session-level setting that marks strata's session. */
export const SESSION_TOKEN_SETTING = 'strata.session_token';

/** The marker in the text of a failed check, as the server reports it. */
const MARKER = 'strata-session-check';

/** What the checks need to know about the session. */
export interface SessionIdentity {
  /** The backend pid seen by the session's first round trip. */
  pid: number;
  /** This session's random token (hex). */
  token: string;
  /** The advisory lock key. */
  key: bigint;
  /** The oid of the current database (pg_locks.database of the advisory lock). */
  databaseOid: number;
}

/** `SET strata.session_token = '…'` (the token is hex: no quoting issue). */
export function setSessionTokenSql(token: string): string {
  if (!/^[0-9a-f]+$/.test(token)) throw new StrataError('STRATA_INTERNAL', 'A session token must be hex');
  return `SET ${SESSION_TOKEN_SETTING} = '${token}'`;
}

/** The token as this backend has it: ours, or `''` after a migration's own `RESET ALL`. */
function tokenIsOursSql(token: string): string {
  return `coalesce(pg_catalog.current_setting('${SESSION_TOKEN_SETTING}', true), '') IN ('${token}', '')`;
}

/** Whether this backend holds the advisory lock (`pg_locks` keeps a bigint key as classid/objid). */
function lockHeldHereSql(identity: SessionIdentity): string {
  const high = (identity.key >> 32n) & 0xffffffffn;
  const low = identity.key & 0xffffffffn;
  return (
    `EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND pid = ${identity.pid} AND granted` +
    ` AND database = ${identity.databaseOid}::oid AND classid = ${high}::oid AND objid = ${low}::oid AND objsubid = 1)`
  );
}

/** An expression that raises a marked error when evaluated: non-constant, so never folded at plan time. */
function raiseSql(reason: 'session-changed' | 'lock-lost'): string {
  return `('${MARKER}: ${reason} on backend ' || pg_catalog.pg_backend_pid())::int`;
}

/**
 * One statement that raises unless this is still the session's backend, with its token, holding
 * the lock. Prepended to the first round trip of every step; costs a scan of the lock table.
 */
export function sessionCheckSql(identity: SessionIdentity): string {
  return (
    `SELECT CASE WHEN pg_catalog.pg_backend_pid() <> ${identity.pid} OR NOT ${tokenIsOursSql(identity.token)} THEN ${raiseSql('session-changed')}` +
    ` WHEN NOT ${lockHeldHereSql(identity)} THEN ${raiseSql('lock-lost')} ELSE 0 END AS strata_session_check`
  );
}

/**
 * The lock try, guarded: tried only when the backend is still the session's own (pid and token as
 * set when connecting) and does not hold the lock already. A backend that holds it without having
 * been asked is another client's (a pooler handed us its server connection), and
 * `pg_try_advisory_lock` would succeed there again (advisory locks are re-entrant). Columns:
 * `locked` (null when not tried), `pid`, `stable`, `held_here`.
 */
export function guardedTryLockSql(identity: SessionIdentity): string {
  const stable = `pg_catalog.pg_backend_pid() = ${identity.pid} AND pg_catalog.current_setting('${SESSION_TOKEN_SETTING}', true) = '${identity.token}'`;
  const heldHere = lockHeldHereSql(identity);
  return (
    `SELECT CASE WHEN ${stable} AND NOT ${heldHere} THEN pg_catalog.pg_try_advisory_lock(${identity.key.toString()}::bigint) END AS locked,` +
    ` pg_catalog.pg_backend_pid() AS pid, ${stable} AS stable`
  );
}

/** The release, guarded like the try: `released` is null when the session is no longer ours. */
export function guardedUnlockSql(identity: SessionIdentity): string {
  return (
    `SELECT CASE WHEN pg_catalog.pg_backend_pid() = ${identity.pid} AND ${tokenIsOursSql(identity.token)}` +
    ` THEN pg_catalog.pg_advisory_unlock(${identity.key.toString()}::bigint) END AS released, pg_catalog.pg_backend_pid() AS pid`
  );
}

/** What a failed check says: `session-changed`, `lock-lost`, or undefined for any other error. */
export function sessionCheckFailure(error: unknown): 'session-changed' | 'lock-lost' | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string' || !message.includes(MARKER)) return undefined;
  return message.includes(`${MARKER}: lock-lost`) ? 'lock-lost' : 'session-changed';
}

const POOLER_HINT =
  'Connect strata straight to the server, or through a pooler in session mode: give the direct URL with config `directUrl` or `--direct-url` (the pooled URL can stay in `url` for your application)';

/** The error for a session that changed backend or token between transactions. */
export function unstableSessionError(target: string, what: string, details: Record<string, unknown> = {}): StrataError {
  return new StrataError(
    'STRATA_UNSTABLE_SESSION',
    `The PostgreSQL session on ${target} did not stay one server session (${what}): a connection pooler in transaction mode (PgBouncer pool_mode=transaction, a hosted pooler) is between strata and the server, and the migration lock cannot protect a run through it`,
    { hint: POOLER_HINT, details },
  );
}

/** The error for a lock this session no longer holds (a migration released it, or it was taken away). */
export function lockLostError(lockName: string, when: string, details: Record<string, unknown> = {}): StrataError {
  return new StrataError('STRATA_LOCK_LOST', `Migration lock on ${lockName} is no longer held by this run ${when}`, {
    hint:
      'A migration may have called pg_advisory_unlock_all(), pg_advisory_unlock() or DISCARD ALL, or a pooler moved the session; ' +
      'remove that from the migration, check with `strata status` that nothing ran twice, and run the command again',
    details,
  });
}
