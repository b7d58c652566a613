import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import Postgrator from 'postgrator';
import { type MigrationSet, type Peer, peerVersion } from './peer-types.js';

/** postgrator's file format: `<version>.do.<name>.sql` (integer versions from 1) and `.undo.` files. */
export function writePostgratorFiles(set: MigrationSet, dir: string): void {
  mkdirSync(dir, { recursive: true });
  set.migrations.forEach((m, i) => {
    writeFileSync(join(dir, `${i + 1}.do.${m.name}.sql`), `${m.sql}\n`);
    writeFileSync(join(dir, `${i + 1}.undo.${m.name}.sql`), `${m.down}\n`);
  });
}

/** postgrator's `execQuery` on better-sqlite3 (its own sqlite3 driver wants the `sqlite3` package). */
export function sqliteExec(db: Database.Database) {
  return {
    execQuery: async (query: string) => {
      const statement = db.prepare(query);
      if (statement.reader) return { rows: statement.all() };
      statement.run();
      return { rows: [] };
    },
    execSqlScript: async (script: string) => void db.exec(script),
  };
}

/**
 * postgrator `migrate()` over a folder of SQL files. postgrator opens no transaction: the body goes
 * as one query (on PostgreSQL an implicit transaction), then its schemaversion row. Before
 * migrating it validates the md5 of every applied file, one query each.
 */
export const postgratorPeer: Peer = {
  name: `postgrator ${peerVersion('postgrator')} (migrate, SQL files, no tx)`,
  node: true,
  dialects: ['postgres', 'sqlite'],
  prepare(set, dir) {
    writePostgratorFiles(set, dir);
    const migrationPattern = join(dir, '*');
    return async (target) => {
      if (target.dialect === 'postgres') {
        const client = new pg.Client({ connectionString: target.url });
        await client.connect();
        try {
          const postgrator = new Postgrator({
            migrationPattern,
            driver: 'pg',
            database: target.database,
            execQuery: (query) => client.query(query),
          });
          return (await postgrator.migrate()).length;
        } finally {
          await client.end();
        }
      }
      const db = new Database(target.filename);
      try {
        const postgrator = new Postgrator({ migrationPattern, driver: 'sqlite3', ...sqliteExec(db) });
        return (await postgrator.migrate()).length;
      } finally {
        db.close();
      }
    };
  },
};
