// `@strata/dialect-postgres/backup`: the pg_dump provider on its own, for callers that build a
// backup manager themselves. The dialect hands the same provider out through `backupProvider`,
// importing this code only when a backup runs, so the main entry does not load it.
export {
  createPostgresBackupProvider,
  DEFAULT_RESTORE_LOCK_TIMEOUT_MS,
  parseToolMajorVersion,
  serverMajorVersion,
  type PostgresBackupProviderOptions,
  type PostgresConnectionConfig,
} from './postgres-backup-provider.js';
