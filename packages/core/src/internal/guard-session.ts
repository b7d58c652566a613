import type { DialectSession } from '../dialect.js';
import { StrataError, toStrataError } from '../errors.js';

/**
 * Core's guarantees around any dialect's session: close is idempotent, a closed session refuses
 * use with a clear error, and anything a dialect throws reaches the caller as a StrataError (with
 * passwords redacted from foreign messages).
 */
export function guardSession(session: DialectSession): DialectSession {
  let closed = false;
  let closing: Promise<void> | undefined;
  const guard = <A extends unknown[], R>(name: string, fn: ((...args: A) => Promise<R>) | undefined) =>
    fn &&
    (async (...args: A): Promise<R> => {
      if (closed) throw new StrataError('STRATA_SESSION_CLOSED', `Session used after close (${name})`);
      try {
        return await fn.apply(session, args);
      } catch (error) {
        throw toStrataError(error, 'STRATA_SQL_ERROR');
      }
    });
  const guarded: DialectSession = {
    query: guard('query', session.query) as DialectSession['query'],
    execute: guard('execute', session.execute)!,
    begin: guard('begin', session.begin)!,
    commit: guard('commit', session.commit)!,
    rollback: async () => {
      if (closed) return;
      try {
        await session.rollback();
      } catch {
        // Rolling back a lost connection: the server already rolled back.
      }
    },
    acquireLock: guard('acquireLock', session.acquireLock)!,
    releaseLock: guard('releaseLock', session.releaseLock)!,
    ensureStateTables: guard('ensureStateTables', session.ensureStateTables)!,
    readState: guard('readState', session.readState)!,
    readEvents: guard('readEvents', session.readEvents)!,
    writeState: guard('writeState', session.writeState)!,
    close: () => {
      closed = true;
      closing ??= session.close().catch(() => {});
      return closing;
    },
  };
  if (session.hasForeignWrites) guarded.hasForeignWrites = guard('hasForeignWrites', session.hasForeignWrites)!;
  if (session.applyScript) guarded.applyScript = guard('applyScript', session.applyScript)!;
  if (session.startStep) {
    const startStep = session.startStep;
    guarded.startStep = () => {
      if (!closed) startStep.call(session);
    };
  }
  if (session.lockHolder) guarded.lockHolder = guard('lockHolder', session.lockHolder)!;
  if (session.describe) guarded.describe = guard('describe', session.describe)!;
  if (session.inTransaction) guarded.inTransaction = guard('inTransaction', session.inTransaction)!;
  if (session.setForeignKeys) guarded.setForeignKeys = guard('setForeignKeys', session.setForeignKeys)!;
  if (session.checkForeignKeys) guarded.checkForeignKeys = guard('checkForeignKeys', session.checkForeignKeys)!;
  if (session.findRebuildHazards) guarded.findRebuildHazards = guard('findRebuildHazards', session.findRebuildHazards)!;
  if (session.cancel) {
    const cancel = session.cancel;
    guarded.cancel = async () => {
      if (!closed) await cancel.call(session);
    };
  }
  return guarded;
}
