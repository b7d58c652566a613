import Database from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { type Peer, type Target, peerVersion, splitStatements } from './peer-types.js';

export function kyselyFor(target: Target): Kysely<unknown> {
  return new Kysely<unknown>({
    dialect:
      target.dialect === 'postgres'
        ? new PostgresDialect({ pool: new pg.Pool({ connectionString: target.url, max: 2 }) })
        : new SqliteDialect({ database: new Database(target.filename) }),
  });
}

/**
 * Kysely's `Migrator` with an in-memory provider. On PostgreSQL (transactional DDL) `migrateToLatest`
 * runs the whole batch in one transaction under `pg_advisory_xact_lock`; Kysely's SQLite adapter
 * declares no transactional DDL, so there every statement autocommits (lock row in
 * kysely_migration_lock).
 */
export const kyselyPeer: Peer = {
  name: `Kysely ${peerVersion('kysely')} (Migrator, in-memory provider; one tx on PostgreSQL, none on SQLite)`,
  node: true,
  dialects: ['postgres', 'sqlite'],
  prepare(set) {
    const migrations: Record<string, Migration> = {};
    set.migrations.forEach((m, i) => {
      const up = set.dialect === 'sqlite' ? splitStatements(m.sql) : [m.sql];
      migrations[`${String(i + 1).padStart(4, '0')}_${m.name}`] = {
        async up(db) {
          for (const statement of up) await sql.raw(statement).execute(db);
        },
      };
    });
    const provider = { getMigrations: async () => migrations };
    return async (target) => {
      const db = kyselyFor(target);
      try {
        const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
        if (error) throw error;
        return results?.length ?? 0;
      } finally {
        await db.destroy();
      }
    };
  },
};
