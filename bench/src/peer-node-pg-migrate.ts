import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { type MigrationSet, type Peer, peerVersion, seq } from './peer-types.js';

/** node-pg-migrate's SQL file format: `<n>_<name>.sql` with `-- Up Migration` / `-- Down Migration`. */
export function writeNodePgMigrateFiles(set: MigrationSet, dir: string): void {
  mkdirSync(dir, { recursive: true });
  set.migrations.forEach((m, i) =>
    writeFileSync(join(dir, `${seq(i)}_${m.name}.sql`), `-- Up Migration\n${m.sql}\n-- Down Migration\n${m.down}\n`),
  );
}

/**
 * node-pg-migrate's programmatic `runner` (PostgreSQL only) over a folder of SQL files. Library
 * default: each migration in its own transaction (BEGIN, body, INSERT into pgmigrations, COMMIT as
 * four queries), advisory lock, order check.
 *
 * The runner gets a client that the run connects and ends itself, the same pg.Client that
 * `databaseUrl` would make: with `databaseUrl`, node-pg-migrate 9.0.0 calls `client.end()` without
 * awaiting it, so its run returned before its connection was closed (unlike every other subject's),
 * and the bench's DROP DATABASE … WITH (FORCE) right after could terminate that connection and
 * crash the run on its unhandled 'error' event.
 */
export const nodePgMigrate: Peer = {
  name: `node-pg-migrate ${peerVersion('node-pg-migrate')} (runner, SQL files, tx each)`,
  node: true,
  dialects: ['postgres'],
  prepare(set, dir) {
    writeNodePgMigrateFiles(set, dir);
    return async (target) => {
      if (target.dialect !== 'postgres') throw new Error('node-pg-migrate: PostgreSQL only');
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      try {
        const applied = await runner({ dbClient: client, dir, direction: 'up', migrationsTable: 'pgmigrations', log: () => {} });
        return applied.length;
      } finally {
        await client.end();
      }
    };
  },
};
