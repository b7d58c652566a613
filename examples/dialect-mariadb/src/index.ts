export { createMariaDbDialect, MARIADB_CAPABILITIES } from './mariadb-dialect.js';
export type { MariaDbConnectionOptions, MariaDbDialectOptions } from './mariadb-dialect.js';
export { defaultLockName } from './mariadb-session.js';
export type { MariaDbLockHolder } from './mariadb-session.js';
export { findMariaDbNonTransactional, splitMariaDbStatements } from './mariadb-split.js';
export { createMariaDbDialect as default } from './mariadb-dialect.js';
