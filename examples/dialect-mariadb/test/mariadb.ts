import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createMariaDbDialect } from '../src/index.js';
import type { MariaDbDialectOptions } from '../src/index.js';

/** The server the tests use; any database on it will do, each test creates its own. */
export const MARIADB_URL = process.env.STRATA_TEST_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/test';

const adminConfig = () => {
  const url = new URL(MARIADB_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    connectTimeout: 5000,
  };
};

/**
 * MariaDB tests never skip: when the server cannot be reached every test file fails here with the
 * reason, locally and in CI alike. Call with top-level await.
 */
export async function assertMariaDbReachable(): Promise<void> {
  try {
    const connection = await mysql.createConnection(adminConfig());
    await connection.query('SELECT 1');
    await connection.end();
  } catch (error) {
    throw new Error(
      `MariaDB is not reachable at ${MARIADB_URL.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}). ` +
        'Start it (service mariadb start) or set STRATA_TEST_MARIADB_URL; MariaDB tests never skip.',
    );
  }
}

/** Creates `strata_maria_<random>` and returns its URI and how to drop it. */
export async function freshDatabase(): Promise<{ uri: string; name: string; drop: () => Promise<void> }> {
  const name = `strata_maria_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection(adminConfig());
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await admin.end();
  }
  const url = new URL(MARIADB_URL);
  url.pathname = `/${name}`;
  return {
    uri: url.toString(),
    name,
    drop: async () => {
      const dropper = await mysql.createConnection(adminConfig());
      try {
        await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** A dialect (and a second one, "another process") on a fresh database. */
export async function freshTarget(options: Omit<MariaDbDialectOptions, 'uri'> = {}) {
  const database = await freshDatabase();
  return {
    database,
    dialect: createMariaDbDialect({ uri: database.uri, ...options }),
    secondDialect: createMariaDbDialect({ uri: database.uri, ...options }),
    cleanup: database.drop,
  };
}
