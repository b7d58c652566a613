export { createSqliteDialect, DEFAULT_SQLITE_BUSY_TIMEOUT_MS, SQLITE_CAPABILITIES, type SqliteDialectOptions } from './sqlite-dialect.js';
export type { SqliteJournalMode } from './sqlite-connection.js';
export { splitSqliteStatements } from './sqlite-split.js';
export { findSqliteNonTransactional } from './sqlite-non-transactional.js';
export { LOCK_POLL_SLICE_MS } from './sqlite-lock.js';
