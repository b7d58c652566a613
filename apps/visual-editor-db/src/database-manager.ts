import {
  compareVersions,
  createFailoverDialect,
  createMigrator,
  type Dialect,
  type EventRecord,
  type MigrationSource,
  type Migrator,
  type MigratorOptions,
  type RunReport,
  type StatusReport,
} from '@strata/core';

/**
 * The seed project's migration manager, kept for users who know it: the {@link Migrator} with
 * the old method names added.
 */
export interface MigrationManager extends Migrator {
  /** Applies every pending migration (`up()`). */
  applyMigrations(): Promise<RunReport>;
  /** Reverts the module down to `version` (`down({ to })`). */
  rollbackToVersion(version: string): Promise<RunReport>;
  /** The newest applied version of `module`, or null. */
  getCurrentVersion(module?: string): Promise<string | null>;
  /** The append-only history, newest first. */
  getMigrationHistory(limit?: number): Promise<EventRecord[]>;
  /** Status with its problems (`status()`). */
  validateMigrations(): Promise<StatusReport>;
}

/** Options for {@link createDatabaseManager}. */
export interface DatabaseManagerOptions extends Omit<MigratorOptions, 'dialect'> {
  primary: Dialect;
  /** Used when the primary cannot be reached within `connectTimeoutMs`. */
  fallback?: Dialect;
  /** @default 5000 */
  connectTimeoutMs?: number;
  sources: readonly MigrationSource[];
}

/** The seed's facade: a database (primary with optional fallback) and its migration manager. */
export interface DatabaseManager {
  readonly dialect: Dialect;
  getMigrationManager(): MigrationManager;
  close(): Promise<void>;
}

/**
 * Creates the seed-compatible facade over {@link createMigrator} and {@link createFailoverDialect}.
 * @example
 * const db = createDatabaseManager({ primary: pgDialect, fallback: sqliteDialect, sources: [coreSchema] });
 * await db.getMigrationManager().applyMigrations();
 */
export function createDatabaseManager(options: DatabaseManagerOptions): DatabaseManager {
  const { primary, fallback, connectTimeoutMs, ...migratorOptions } = options;
  const dialect = fallback
    ? createFailoverDialect({ primary, fallback, ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }) })
    : primary;
  let manager: MigrationManager | undefined;
  return {
    dialect,
    getMigrationManager() {
      if (manager) return manager;
      const migrator = createMigrator({ ...migratorOptions, dialect });
      manager = {
        ...migrator,
        applyMigrations: () => migrator.up(),
        rollbackToVersion: (version) => migrator.down({ to: version }),
        async getCurrentVersion(module = 'app') {
          const status = await migrator.status();
          let newest: string | null = null;
          for (const entry of status.migrations) {
            if (entry.module !== module || entry.state !== 'applied') continue;
            if (newest === null || compareVersions(entry.version, newest) > 0) newest = entry.version;
          }
          return newest;
        },
        getMigrationHistory: (limit = 100) => migrator.history({ limit }),
        validateMigrations: () => migrator.status(),
      };
      return manager;
    },
    close: () => dialect.destroy?.() ?? Promise.resolve(),
  };
}
