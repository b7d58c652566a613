import pg from 'pg';

/** The server the PostgreSQL benchmarks create their databases on (trust auth, like the tests). */
export const PG_ADMIN_URL = process.env.STRATA_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let databaseNumber = 0;

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
}

export function databaseUrl(name: string): string {
  return PG_ADMIN_URL.replace(/\/[^/?]*(\?.*)?$/, `/${name}`);
}

/** A new, empty database for one run; drop it with {@link dropDatabase}. */
export async function createDatabase(tag: string): Promise<BenchDatabase> {
  const name = `strata_peers_${process.pid}_${databaseNumber++}_${tag.replace(/[^a-z0-9]/gi, '').toLowerCase()}`.slice(0, 63);
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name}`);
  return { name, url: databaseUrl(name) };
}

export const dropDatabase = (db: BenchDatabase): Promise<void> => adminQuery(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
