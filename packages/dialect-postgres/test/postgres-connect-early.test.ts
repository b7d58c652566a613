import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, defineModule, type MigrationSource, type SourceLoadResult } from '@strata/core';
import { createPostgresDialect } from '../src/index.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';

/**
 * PostgreSQL declares `connectsEarly`: core starts the connection before it loads the sources, so
 * the handshake's round trips overlap reading the files, and closes that session unused when the
 * sources have problems. Observed from the server's side, in pg_stat_activity.
 */

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('strata_pg_early');
});

afterAll(async () => {
  await database?.drop();
});

const backends = async (applicationName: string): Promise<number> =>
  Number(
    (
      await adminQuery<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [
        applicationName,
        database.name,
      ])
    )[0]!.n,
  );

/** A source that takes `ms` to load and counts, at the end of its load, the dialect's backends. */
function slowSource(applicationName: string, ms: number, result: SourceLoadResult): { source: MigrationSource; seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    source: {
      description: 'slow source',
      load: async () => {
        await sleep(ms);
        seen.push(await backends(applicationName));
        return result;
      },
    },
  };
}

const table = defineModule({
  name: 'app',
  migrations: [{ version: '1.0.0', name: 'early', up: 'CREATE TABLE early_t (id integer)', down: 'DROP TABLE early_t' }],
});

describe('connecting early (PostgreSQL)', () => {
  it('has the migration session connected while the sources are still loading, for up and for status', async () => {
    const applicationName = 'strata-early-up';
    const loaded = await table.load();
    const { source, seen } = slowSource(applicationName, 300, loaded);
    const migrator = createMigrator({
      dialect: createPostgresDialect({ connectionString: database.url, applicationName }),
      sources: [source],
    });
    const report = await migrator.up();
    expect(report.steps.map((s) => s.id)).toEqual(['app@1.0.0']);
    const status = await migrator.status();
    expect(status.migrations.map((m) => m.state)).toEqual(['applied']);
    await migrator.close();
    // One backend seen during each load: the session that went on to run (up) and to read (status).
    expect(seen).toEqual([1, 1]);
  });

  it('closes the early session unused when the sources have problems, and touches nothing', async () => {
    const applicationName = 'strata-early-problems';
    const { source, seen } = slowSource(applicationName, 300, {
      migrations: [],
      problems: [{ code: 'STRATA_INVALID_MIGRATION', message: 'broken.sql: the file is empty', file: 'broken.sql' }],
    });
    const migrator = createMigrator({
      dialect: createPostgresDialect({
        connectionString: database.url,
        applicationName,
        table: 'early_state',
        eventsTable: 'early_events',
      }),
      sources: [source],
    });
    await expect(migrator.up()).rejects.toMatchObject({ code: 'STRATA_INVALID_MIGRATION' });
    expect(seen).toEqual([1]);
    let left = await backends(applicationName);
    for (let i = 0; i < 40 && left > 0; i++) {
      await sleep(50);
      left = await backends(applicationName);
    }
    expect(left).toBe(0);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT to_regclass('early_state')::text AS state, to_regclass('early_events')::text AS events`);
      expect(rows).toEqual([{ state: null, events: null }]);
    } finally {
      await client.end();
    }
    await migrator.close();
  });

  it('cuts an early connection that is still waiting for the server when the sources have problems', async () => {
    // A server that accepts and never reads or answers (a hung proxy): only cutting the socket
    // ends the client's side; a polite end() would wait for a FIN that never comes.
    const tcpSockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
    const before = tcpSockets();
    const sockets: Socket[] = [];
    const server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const { source } = slowSource('unused', 200, {
        migrations: [],
        problems: [{ code: 'STRATA_INVALID_MIGRATION', message: 'broken.sql: the file is empty', file: 'broken.sql' }],
      });
      const migrator = createMigrator({
        dialect: createPostgresDialect({ connectionString: `postgres://x@127.0.0.1:${port}/db`, connectTimeoutMs: 30_000 }),
        sources: [source],
      });
      const started = Date.now();
      await expect(migrator.up()).rejects.toMatchObject({ code: 'STRATA_INVALID_MIGRATION' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(sockets).toHaveLength(1); // it did connect early
      // The server's accepted socket is still open; the client's must be gone.
      let open = tcpSockets() - before;
      for (let i = 0; i < 20 && open > 1; i++) {
        await sleep(50);
        open = tcpSockets() - before;
      }
      expect(open).toBe(1);
      await migrator.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});
