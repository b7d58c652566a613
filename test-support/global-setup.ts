import pg from 'pg';
import { PG_ADMIN_URL } from './postgres.js';

/**
 * PostgreSQL tests never skip: when the server cannot be reached the whole run fails here with
 * the reason, locally and in CI alike.
 */
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_ADMIN_URL.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}). ` +
        'Start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set STRATA_TEST_PG_URL; PostgreSQL tests never skip.',
    );
  } finally {
    await client.end().catch(() => {});
  }
}
