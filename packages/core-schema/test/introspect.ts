import type Database from 'better-sqlite3';
import type pg from 'pg';

/** A dialect-neutral picture of a schema, so the two dialects can be compared field by field. */
export interface SchemaSnapshot {
  /** Table names, sorted. */
  tables: string[];
  /** Column names per table, in declaration order. */
  columns: Record<string, string[]>;
  /** `table.column -> referenced table, ON DELETE action`. */
  foreignKeys: Record<string, string>;
  /** `table(col, …)` of each primary key and UNIQUE constraint, sorted. */
  keys: string[];
  /** Names of the explicitly created indexes (not those backing constraints), sorted. */
  indexes: string[];
  /** `table.column` for every column that leads a non-partial index, constraint indexes included. */
  indexedLeadingColumns: Set<string>;
}

const SQLITE_ON_DELETE: Record<string, string> = { CASCADE: 'CASCADE', 'SET NULL': 'SET NULL' };

/** Reads the schema of an SQLite database through `sqlite_master` and the table-valued pragmas. */
export function snapshotSqlite(db: Database.Database): SchemaSnapshot {
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((row) => row.name);
  const snapshot: SchemaSnapshot = {
    tables,
    columns: {},
    foreignKeys: {},
    keys: [],
    indexes: (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as {
        name: string;
      }[]
    ).map((row) => row.name),
    indexedLeadingColumns: new Set(),
  };
  for (const table of tables) {
    snapshot.columns[table] = (db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(table) as { name: string }[]).map(
      (row) => row.name,
    );
    const foreignKeys = db.prepare('SELECT "from", "table", on_delete FROM pragma_foreign_key_list(?)').all(table) as {
      from: string;
      table: string;
      on_delete: string;
    }[];
    for (const fk of foreignKeys) {
      snapshot.foreignKeys[`${table}.${fk.from}`] = `${fk.table} ${SQLITE_ON_DELETE[fk.on_delete] ?? fk.on_delete}`;
    }
    const indexes = db.prepare('SELECT name, origin, partial FROM pragma_index_list(?)').all(table) as {
      name: string;
      origin: 'c' | 'u' | 'pk';
      partial: 0 | 1;
    }[];
    for (const index of indexes) {
      const columns = (db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(index.name) as { name: string }[]).map(
        (row) => row.name,
      );
      if (index.origin !== 'c') snapshot.keys.push(`${table}(${columns.join(', ')})`);
      if (index.partial === 0 && columns[0] !== undefined) snapshot.indexedLeadingColumns.add(`${table}.${columns[0]}`);
    }
  }
  snapshot.keys.sort();
  return snapshot;
}

const POSTGRES_ON_DELETE: Record<string, string> = { c: 'CASCADE', n: 'SET NULL', a: 'NO ACTION', r: 'RESTRICT', d: 'SET DEFAULT' };

/** Reads the schema of the current PostgreSQL schema through `information_schema` and the catalogs. */
export async function snapshotPostgres(client: pg.ClientBase): Promise<SchemaSnapshot> {
  const tables = (
    await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    )
  ).rows.map((row) => row.table_name);
  const snapshot: SchemaSnapshot = {
    tables,
    columns: {},
    foreignKeys: {},
    keys: [],
    indexes: (
      await client.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes
          WHERE schemaname = current_schema()
            AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))
          ORDER BY indexname`,
      )
    ).rows.map((row) => row.indexname),
    indexedLeadingColumns: new Set(),
  };
  const columns = await client.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  for (const row of columns.rows) (snapshot.columns[row.table_name] ??= []).push(row.column_name);
  const foreignKeys = await client.query<{ table_name: string; column_name: string; referenced: string; confdeltype: string }>(
    `SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name,
            c.confrelid::regclass::text AS referenced, c.confdeltype
       FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`,
  );
  for (const fk of foreignKeys.rows) {
    snapshot.foreignKeys[`${fk.table_name}.${fk.column_name}`] = `${fk.referenced} ${POSTGRES_ON_DELETE[fk.confdeltype] ?? fk.confdeltype}`;
  }
  const keys = await client.query<{ key: string }>(
    `SELECT c.conrelid::regclass::text || '(' || string_agg(a.attname, ', ' ORDER BY k.position) || ')' AS key
       FROM pg_constraint c
       CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
      WHERE c.contype IN ('p', 'u') AND c.connamespace = current_schema()::regnamespace
      GROUP BY c.oid, c.conrelid`,
  );
  snapshot.keys = keys.rows.map((row) => row.key).sort();
  const leading = await client.query<{ leading: string }>(
    `SELECT i.indrelid::regclass::text || '.' || a.attname AS leading
       FROM pg_index i
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE t.relnamespace = current_schema()::regnamespace AND i.indpred IS NULL`,
  );
  for (const row of leading.rows) snapshot.indexedLeadingColumns.add(row.leading);
  return snapshot;
}
