import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { run } from './peer-dbmate.js';
import { type Peer, seq } from './peer-types.js';

/** The physical baselines' own bookkeeping: one row per migration, as every tool writes. */
const RECORD_TABLE = 'CREATE TABLE IF NOT EXISTS migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL);\n';
const record = (version: string) => `INSERT INTO migrations (version, applied_at) VALUES ('${version}', now());\n`;

const PSQL = ['-X', '-q', '-v', 'ON_ERROR_STOP=1'];

/** `psql -1 -f`: the whole set and its record rows in one file, one transaction, one process. */
export const psqlSingle: Peer = {
  name: 'psql -1 -f (one file, one tx)',
  node: false,
  dialects: ['postgres'],
  prepare(set, dir) {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'all.sql');
    writeFileSync(file, RECORD_TABLE + set.migrations.map((m, i) => `${m.sql}\n${record(seq(i))}`).join('\n'));
    return async (target) => {
      if (target.dialect !== 'postgres') throw new Error('psql: PostgreSQL only');
      await run('psql', [...PSQL, '-1', '-f', file, target.url]);
      return set.migrations.length;
    };
  },
};

/** One `psql -1 -f` process per migration file (body + record row, one transaction each). */
export const psqlPerFile: Peer = {
  name: 'psql -1 -f per file (one process + tx each)',
  node: false,
  dialects: ['postgres'],
  prepare(set, dir) {
    mkdirSync(dir, { recursive: true });
    const setup = join(dir, '0000_setup.sql');
    writeFileSync(setup, RECORD_TABLE);
    const files = set.migrations.map((m, i) => {
      const file = join(dir, `${seq(i)}_${m.name}.sql`);
      writeFileSync(file, `${m.sql}\n${record(seq(i))}`);
      return file;
    });
    return async (target) => {
      if (target.dialect !== 'postgres') throw new Error('psql: PostgreSQL only');
      await run('psql', [...PSQL, '-f', setup, target.url]);
      for (const file of files) await run('psql', [...PSQL, '-1', '-f', file, target.url]);
      return files.length;
    };
  },
};

/** The SQLite floor: a hand-written better-sqlite3 loop, each body plus one insert, in one process. */
export function sqliteLoop(single: boolean): Peer {
  return {
    name: single ? 'better-sqlite3 loop, one tx' : 'better-sqlite3 loop, tx each',
    node: false,
    dialects: ['sqlite'],
    prepare(set) {
      return async (target) => {
        if (target.dialect !== 'sqlite') throw new Error('better-sqlite3 loop: SQLite only');
        const db = new Database(target.filename);
        db.exec('CREATE TABLE IF NOT EXISTS migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
        const insert = db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)');
        if (single) db.exec('BEGIN');
        set.migrations.forEach((m, i) => {
          if (!single) db.exec('BEGIN');
          db.exec(m.sql);
          insert.run(seq(i), new Date().toISOString());
          if (!single) db.exec('COMMIT');
        });
        if (single) db.exec('COMMIT');
        db.close();
        return set.migrations.length;
      };
    },
  };
}
