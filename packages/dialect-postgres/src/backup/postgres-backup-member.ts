import { accessSync, constants } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import type { BackupProvider, BackupProviderOptions, Dialect } from '@strata/core';
import type { PostgresDialectOptions } from '../postgres-dialect.js';

/**
 * The PostgreSQL dialect's {@link Dialect.backupProvider}: pg_dump and pg_restore, whose code is
 * imported only when a backup or restore happens. The provider backs up the database the dialect
 * connects to, described by the same URL or connection fields.
 */
export function postgresBackupMember(options: PostgresDialectOptions): NonNullable<Dialect['backupProvider']> {
  return async (backup: BackupProviderOptions = {}): Promise<BackupProvider> => {
    const { createPostgresBackupProvider } = await import('./postgres-backup-provider.js');
    const connection = options.connection;
    const provider = createPostgresBackupProvider({
      ...(options.connectionString !== undefined
        ? { connectionString: options.connectionString }
        : {
            connection: {
              ...(connection?.host !== undefined ? { host: connection.host } : {}),
              ...(connection?.port !== undefined ? { port: connection.port } : {}),
              ...(connection?.user !== undefined ? { user: connection.user } : {}),
              ...(typeof connection?.password === 'string' ? { password: connection.password } : {}),
              ...(connection?.database !== undefined ? { database: connection.database } : {}),
            },
          }),
      ...toolPaths(backup.toolPaths?.pg_dump),
    });
    return { ...provider, unavailable: () => pgDumpUnavailable(backup.toolPaths?.pg_dump) };
  };
}

/** A pg_dump given by path brings its siblings: the same installation's pg_restore and psql. */
function toolPaths(pgDump: string | undefined) {
  if (pgDump === undefined) return {};
  if (!pgDump.includes('/')) return { pgDumpPath: pgDump };
  const sibling = (name: string) => join(dirname(pgDump), basename(pgDump).replace(/pg_dump/, name));
  return { pgDumpPath: pgDump, pgRestorePath: sibling('pg_restore'), psqlPath: sibling('psql') };
}

const INSTALL_HINT = 'Install the PostgreSQL client tools (apt-get install postgresql-client, brew install libpq)';

/** Why no backup can be taken: pg_dump is missing (checked on PATH, or at the configured path). */
function pgDumpUnavailable(pgDump: string | undefined): { reason: string; hint: string; tool: string } | undefined {
  if (pgDump !== undefined && pgDump.includes('/')) {
    if (isExecutable(pgDump)) return undefined;
    return { reason: `${pgDump} is not an executable`, hint: INSTALL_HINT, tool: 'pg_dump' };
  }
  const name = pgDump ?? 'pg_dump';
  if (onPath(name)) return undefined;
  return { reason: `${name} is not on PATH`, hint: INSTALL_HINT, tool: 'pg_dump' };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, name)));
}
