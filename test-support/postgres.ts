import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the tests use; PGHOST/PGPORT/PGUSER override it. */
export const PG_ADMIN_URL =
  process.env.STRATA_TEST_PG_URL ??
  `postgres://${process.env.PGUSER ?? 'postgres'}@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? '5432'}/postgres`;

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database (forcing other sessions off). */
  drop(): Promise<void>;
}

/** Runs one statement on the admin database. */
export async function adminQuery<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Creates a fresh, empty database for one test file (or test) and returns its URL. */
export async function createTestDatabase(prefix = 'strata_t'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    name,
    url,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
