export {
  createPostgresDialect,
  DEFAULT_APPLICATION_NAME,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DDL_LOCK_TIMEOUT_MS,
} from './postgres-dialect.js';
export type { PostgresConnectionOptions, PostgresDialectOptions } from './postgres-dialect.js';
export { splitPostgresStatements, findPostgresNonTransactional, isPostgresParserLoaded } from './postgres-split.js';
export { normalizePostgresUrl, redactPostgresUrl } from './postgres-url.js';
export { postgresAdvisoryLockKey } from './postgres-lock.js';
export { escapePostgresLiteral } from './postgres-state-store.js';
export { createPostgresDialect as default } from './postgres-dialect.js';
