import type { ConnectOptions, DialectConnection, DialectConnectionExtras, DialectLock, DialectSession } from './dialect.js';
import { StrataError } from './errors.js';
import { waitForLock } from './lock-wait.js';
import { createStateStore, type StateFlavour } from './state-store.js';

/** The parts of a session a dialect supplies; see {@link composeSession}. */
export interface SessionParts {
  /** Role 1: the connection with transactions (plus any engine-specific extras). */
  connection: DialectConnection & DialectConnectionExtras;
  /** Role 2: the lock primitives; core loops over `tryLock`. */
  lock: DialectLock;
  /** How the engine spells the state tables; core builds the store from it. */
  state: StateFlavour;
  /** The redacted target, for messages. */
  target: string;
  /** The options `connect` was given: lock timeout and signal. */
  options: ConnectOptions;
}

/**
 * Builds the session core works with from a dialect's primitives: core owns the state and events
 * tables (DDL, reads, writes, row mapping) and the lock loop (backoff, timeout, abort, holder).
 * @example
 * async connect(options) {
 *   const connection = await openConnection(options);
 *   return composeSession({ connection, lock: advisoryLock(connection), state: flavour, target, options });
 * }
 */
export function composeSession(parts: SessionParts): DialectSession {
  const { connection, lock, options, target } = parts;
  const store = createStateStore(parts.state, (sql, params) => connection.query(sql, params));
  let held = false;
  let inTransaction = false;
  const session: DialectSession = {
    ...connection,
    query: (sql, params) => connection.query(sql, params),
    execute: (script) => connection.execute(script),
    async begin() {
      await connection.begin();
      inTransaction = true;
    },
    async commit() {
      inTransaction = false;
      await connection.commit();
    },
    async rollback() {
      inTransaction = false;
      await connection.rollback();
    },
    async acquireLock(acquire) {
      if (held) return;
      if (inTransaction)
        throw new StrataError(
          'STRATA_DIALECT_CONTRACT',
          'acquireLock was called inside a transaction; the lock must be taken with none open',
        );
      await waitForLock(
        {
          tryLock: () => lock.tryLock(),
          ...(lock.lockHolder ? { lockHolder: () => lock.lockHolder!() } : {}),
          ...(lock.endHolderSql ? { endHolderSql: (pid: number) => lock.endHolderSql!(pid) } : {}),
        },
        {
          target,
          lockTimeoutMs: options.lockTimeoutMs,
          ...(lock.lockName ? { lockName: lock.lockName } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(acquire?.onWait ? { onWait: acquire.onWait } : {}),
        },
      );
      held = true;
    },
    async releaseLock() {
      held = false;
      await lock.releaseLock();
    },
    ...store,
    close: () => {
      held = false;
      return connection.close();
    },
  };
  if (lock.lockHolder) session.lockHolder = () => lock.lockHolder!();
  return session;
}
