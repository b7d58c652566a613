import type { EventRecord, FailoverInfo, Migrator } from '@strata/core';

export interface HistoryCommandOptions {
  migrator: Migrator;
  /** @default 50 */
  limit?: number;
  migrationId?: string;
}

export interface HistoryResult {
  target: string;
  dialect: string;
  events: EventRecord[];
  failover?: FailoverInfo;
}

/** Reads the append-only event history, newest first. */
export async function history(options: HistoryCommandOptions): Promise<HistoryResult> {
  const events = await options.migrator.history({
    limit: options.limit ?? 50,
    ...(options.migrationId ? { migrationId: options.migrationId } : {}),
  });
  return { target: options.migrator.dialect.target, dialect: options.migrator.dialect.name, events };
}
