export * from './errors.js';
export { type Version, isValidVersion, parseVersion, compareVersions, formatVersion, bumpVersion } from './version.js';
export * from './checksum.js';
export * from './migration.js';
export * from './migration-source.js';
export * from './problem.js';
export * from './state.js';
export * from './dialect.js';
export * from './backup-contract.js';
export {
  defineModule,
  isMigrationModule,
  type MigrationModule,
  type MigrationModuleDefinition,
  type ModuleMigrationDefinition,
} from './module-source.js';
export * from './state-store.js';
export * from './lock-wait.js';
export * from './compose-session.js';
export * from './file-source.js';
export * from './sql-migration-file.js';
export * from './planner.js';
export * from './migrator-types.js';
export { createMigrator, DEFAULT_LOCK_TIMEOUT_MS } from './migrator.js';
export { DEFAULT_LOCK_RETRIES } from './internal/lock-retry.js';
export { TOOL_VERSION } from './internal/tool-version.js';
export * from './failover.js';
