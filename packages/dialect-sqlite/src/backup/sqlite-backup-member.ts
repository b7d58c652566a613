import type { BackupProvider, Dialect } from '@strata/core';

/**
 * The SQLite dialect's {@link Dialect.backupProvider} for a database file (an in-memory database
 * has none): the online backup API through better-sqlite3, whose code is imported only when a
 * backup or restore happens.
 */
export function sqliteBackupMember(filename: string): Dialect['backupProvider'] {
  if (filename === '' || filename === ':memory:' || filename.startsWith('file:')) return undefined;
  return async (): Promise<BackupProvider> => {
    const { createSqliteBackupProvider } = await import('./sqlite-backup-provider.js');
    return createSqliteBackupProvider({ filename });
  };
}
