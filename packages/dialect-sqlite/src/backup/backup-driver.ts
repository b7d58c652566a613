import { totalmem } from 'node:os';
import { backupError } from '@strata/core';

/** The part of better-sqlite3's `Database` the backup provider uses (structural). */
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

/** Loads better-sqlite3 on first use (the provider itself is loaded only for a backup). */
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

/** The ceiling of the default `inMemoryCopyMaxBytes`: 1 GiB. */
export const MAX_DEFAULT_IN_MEMORY_COPY_BYTES = 1024 * 1024 * 1024;

/**
 * Default of `inMemoryCopyMaxBytes`: 1 GiB, or a quarter of the memory available to the process
 * (its cgroup limit when it has one) when that is less.
 */
export function defaultInMemoryCopyMaxBytes(): number {
  const total = totalmem();
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const available = constrained && constrained > 0 && constrained < total ? constrained : total;
  return Math.min(MAX_DEFAULT_IN_MEMORY_COPY_BYTES, Math.floor(available / 4));
}
