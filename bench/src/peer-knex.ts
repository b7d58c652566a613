import knexFactory, { type Knex } from 'knex';
import { type MigrationSet, type Peer, type Target, peerVersion, splitStatements } from './peer-types.js';

interface KnexMigration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** What a knex migration's `up` does: one `knex.raw` per statement on SQLite (better-sqlite3 takes one at a time), the whole script on PostgreSQL. */
export function knexStatements(set: MigrationSet, sql: string): string[] {
  return set.dialect === 'sqlite' ? splitStatements(sql) : [sql];
}

export function knexConfig(target: Target): Knex.Config {
  return target.dialect === 'postgres'
    ? { client: 'pg', connection: target.url, pool: { min: 0, max: 2 } }
    : { client: 'better-sqlite3', connection: { filename: target.filename }, useNullAsDefault: true };
}

/**
 * knex `migrate.latest` with an in-memory migration source. knex takes its lock row in
 * knex_migrations_lock and, when every migration is transactional (the default), runs the whole
 * batch in ONE transaction, recording each migration in knex_migrations.
 */
export const knexPeer: Peer = {
  name: `knex ${peerVersion('knex')} (migrate.latest, in-memory source, one tx for the batch)`,
  node: true,
  dialects: ['postgres', 'sqlite'],
  prepare(set) {
    const migrations: KnexMigration[] = set.migrations.map((m, i) => {
      const up = knexStatements(set, m.sql);
      const down = knexStatements(set, m.down);
      return {
        name: `${String(i + 1).padStart(4, '0')}_${m.name}`,
        async up(knex) {
          for (const statement of up) await knex.raw(statement);
        },
        async down(knex) {
          for (const statement of down) await knex.raw(statement);
        },
      };
    });
    const migrationSource: Knex.MigrationSource<KnexMigration> = {
      getMigrations: async () => migrations,
      getMigrationName: (m) => m.name,
      getMigration: async (m) => m,
    };
    return async (target) => {
      const knex = knexFactory(knexConfig(target));
      try {
        const [, log] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
        return log.length;
      } finally {
        await knex.destroy();
      }
    };
  },
};
