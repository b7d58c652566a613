/** The part of pg's `Client` the PostgreSQL backup provider uses. */
export interface PgClientLike {
  connect(): Promise<unknown>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export type PgClientConstructor = new (config: Record<string, unknown>) => PgClientLike;

/** Loads pg's Client, or `undefined` when pg cannot be loaded (psql is used instead). */
export async function loadPgClient(): Promise<PgClientConstructor | undefined> {
  try {
    const module = (await import('pg')) as { default?: { Client?: unknown }; Client?: unknown };
    return (module.default?.Client ?? module.Client) as PgClientConstructor;
  } catch {
    return undefined;
  }
}
