import Database from 'better-sqlite3';
import pg from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import { type Peer, peerVersion } from './peer-types.js';

/**
 * umzug has no database storage of its own apart from Sequelize's and MongoDB's; this is the
 * tiny table storage a user writes: one row per executed migration in `umzug_migrations`.
 */
export class PgUmzugStorage implements UmzugStorage {
  constructor(private readonly client: pg.Client) {}
  async executed(): Promise<string[]> {
    await this.client.query(
      'CREATE TABLE IF NOT EXISTS umzug_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await this.client.query<{ name: string }>('SELECT name FROM umzug_migrations ORDER BY name');
    return rows.map((r) => r.name);
  }
  async logMigration({ name }: { name: string }): Promise<void> {
    await this.client.query('INSERT INTO umzug_migrations (name) VALUES ($1)', [name]);
  }
  async unlogMigration({ name }: { name: string }): Promise<void> {
    await this.client.query('DELETE FROM umzug_migrations WHERE name = $1', [name]);
  }
}

export class SqliteUmzugStorage implements UmzugStorage {
  constructor(private readonly db: Database.Database) {}
  async executed(): Promise<string[]> {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS umzug_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))",
    );
    return (this.db.prepare('SELECT name FROM umzug_migrations ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }
  async logMigration({ name }: { name: string }): Promise<void> {
    this.db.prepare('INSERT INTO umzug_migrations (name) VALUES (?)').run(name);
  }
  async unlogMigration({ name }: { name: string }): Promise<void> {
    this.db.prepare('DELETE FROM umzug_migrations WHERE name = ?').run(name);
  }
}

/**
 * umzug with an in-memory migration list and the table storage above. umzug itself opens no
 * transaction: on PostgreSQL the body goes as one simple-protocol query (an implicit transaction)
 * and the storage row follows as its own statement; on SQLite `db.exec` autocommits each statement.
 */
export const umzugPeer: Peer = {
  name: `umzug ${peerVersion('umzug')} (in-memory list, table storage, no tx)`,
  node: true,
  dialects: ['postgres', 'sqlite'],
  prepare(set) {
    return async (target) => {
      if (target.dialect === 'postgres') {
        const client = new pg.Client({ connectionString: target.url });
        await client.connect();
        try {
          const umzug = new Umzug({
            migrations: set.migrations.map((m, i) => ({
              name: `${String(i + 1).padStart(4, '0')}_${m.name}`,
              up: async () => void (await client.query(m.sql)),
            })),
            storage: new PgUmzugStorage(client),
            logger: undefined,
          });
          return (await umzug.up()).length;
        } finally {
          await client.end();
        }
      }
      const db = new Database(target.filename);
      try {
        const umzug = new Umzug({
          migrations: set.migrations.map((m, i) => ({
            name: `${String(i + 1).padStart(4, '0')}_${m.name}`,
            up: async () => void db.exec(m.sql),
          })),
          storage: new SqliteUmzugStorage(db),
          logger: undefined,
        });
        return (await umzug.up()).length;
      } finally {
        db.close();
      }
    };
  },
};
