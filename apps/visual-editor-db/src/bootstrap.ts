import { createBackupHook, createBackupManager } from '@strata/backup';
import { createSqliteBackupProvider } from '@strata/dialect-sqlite/backup';
import { coreSchema } from '@strata/core-schema';
import type { FailoverInfo, RunReport } from '@strata/core';
import { createPostgresDialect } from '@strata/dialect-postgres';
import { createSqliteDialect } from '@strata/dialect-sqlite';
import { createDatabaseManager } from './database-manager.js';

/** Options for {@link bootstrapDatabase}. */
export interface BootstrapOptions {
  /** The primary PostgreSQL database. */
  primaryUrl: string;
  /** The SQLite file used when PostgreSQL cannot be reached. */
  fallbackFile: string;
  /** @default 3000 */
  connectTimeoutMs?: number;
  /** Back up the SQLite fallback before migrating it. @default true */
  backupFallback?: boolean;
  /** @default '.strata-backups' */
  backupDir?: string;
}

export interface BootstrapResult {
  report: RunReport;
  /** Which database the service runs on now. */
  database: 'primary' | 'fallback';
  failover: FailoverInfo | undefined;
}

/**
 * What the Visual Editor service does on start: apply the core schema to PostgreSQL, or to the
 * SQLite fallback when PostgreSQL is down, and say which one it uses.
 */
export async function bootstrapDatabase(options: BootstrapOptions): Promise<BootstrapResult> {
  const primary = createPostgresDialect({ connectionString: options.primaryUrl, connectTimeoutMs: options.connectTimeoutMs ?? 3000 });
  const fallback = createSqliteDialect({ filename: options.fallbackFile });
  const backups = createBackupManager({
    provider: createSqliteBackupProvider({ filename: options.fallbackFile }),
    directory: options.backupDir ?? '.strata-backups',
  });
  const fallbackHook = createBackupHook(backups);
  const manager = createDatabaseManager({
    primary,
    fallback,
    connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    sources: [coreSchema],
    hooks: {
      // Only the SQLite fallback is backed up here; the primary's backups belong to its operators.
      beforeRun: (context) =>
        context.dialect.name === 'sqlite' && (options.backupFallback ?? true) ? fallbackHook.beforeRun!(context) : undefined,
    },
  });
  try {
    const report = await manager.getMigrationManager().applyMigrations();
    return { report, database: report.failover?.used ? 'fallback' : 'primary', failover: report.failover };
  } finally {
    await manager.close();
  }
}
