export { bootstrapDatabase, type BootstrapOptions, type BootstrapResult } from './bootstrap.js';
export { createDatabaseManager, type DatabaseManager, type DatabaseManagerOptions, type MigrationManager } from './database-manager.js';
