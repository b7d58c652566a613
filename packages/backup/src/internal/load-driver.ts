import { backupError } from './backup-error.js';

/** The part of better-sqlite3's `Database` the SQLite provider uses (structural: no type dependency). */
export interface SqliteDatabaseLike {
  backup(
    destination: string,
    options?: { progress?: (info: { totalPages: number; remainingPages: number }) => number | undefined },
  ): Promise<{ totalPages: number; remainingPages: number }>;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(source: string): unknown;
  prepare(source: string): { all(...params: unknown[]): unknown[]; get(...params: unknown[]): unknown; run(...params: unknown[]): unknown };
  /** `sqlite3_serialize`: the whole database, read through the pager in one read transaction. */
  serialize(options?: { attached?: string }): Buffer;
  close(): void;
}

export type SqliteDatabaseConstructor = new (
  filename: string,
  options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number },
) => SqliteDatabaseLike;

/** The part of pg's `Client` the PostgreSQL provider uses. */
export interface PgClientLike {
  connect(): Promise<unknown>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export type PgClientConstructor = new (config: Record<string, unknown>) => PgClientLike;

/** Loads better-sqlite3 (an optional peer dependency) on first use. */
export async function loadBetterSqlite3(): Promise<SqliteDatabaseConstructor> {
  try {
    const module = (await import('better-sqlite3')) as { default?: unknown };
    return (module.default ?? module) as SqliteDatabaseConstructor;
  } catch (error) {
    throw backupError('Cannot back up SQLite: the package better-sqlite3 is not installed', {
      hint: 'Install it next to strata: npm install better-sqlite3',
      cause: error,
    });
  }
}

/** Loads pg's Client, or `undefined` when pg is not installed (psql is used instead). */
export async function loadPgClient(): Promise<PgClientConstructor | undefined> {
  try {
    const module = (await import('pg')) as { default?: { Client?: unknown }; Client?: unknown };
    return (module.default?.Client ?? module.Client) as PgClientConstructor;
  } catch {
    return undefined;
  }
}
