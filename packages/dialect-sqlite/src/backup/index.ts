// `@strata/dialect-sqlite/backup`: the SQLite backup provider on its own, for callers that build
// a backup manager themselves. The dialect hands the same provider out through `backupProvider`,
// importing this code only when a backup runs, so the main entry does not load it.
export {
  createSqliteBackupProvider,
  DEFAULT_SQLITE_BACKUP_BUSY_TIMEOUT_MS,
  defaultInMemoryCopyMaxBytes,
  MAX_DEFAULT_IN_MEMORY_COPY_BYTES,
  sqliteIdentity,
  type SqliteBackupProviderOptions,
} from './sqlite-backup-provider.js';
