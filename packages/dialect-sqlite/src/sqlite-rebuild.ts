import type Database from 'better-sqlite3';
import { leadingTokens } from './sqlite-non-transactional.js';
import { splitSqliteStatements } from './sqlite-split.js';

/** One statement that would delete or blank rows of other tables under `foreign_keys = ON`. */
export interface RebuildHazard {
  /** 1-based statement number and line in the script. */
  statement: number;
  line: number;
  /** `DROP TABLE parent` / `ALTER TABLE parent RENAME TO …`. */
  action: string;
  /** The referencing tables and their actions: `child.parent_id ON DELETE CASCADE`. */
  references: string[];
}

/** Cheap pre-check: only scripts that mention both words are split. */
const MAYBE_HAZARD = /\b(?:drop|rename)\b/i;

const CASCADING = "('CASCADE', 'SET NULL', 'SET DEFAULT')";

/** The table a statement drops or renames, or undefined. Reads `DROP TABLE [IF EXISTS] [main.]t` and `ALTER TABLE [main.]t RENAME TO u`. */
function droppedOrRenamed(text: string): { table: string; verb: 'DROP' | 'RENAME' } | undefined {
  const words = leadingTokens(text, 9);
  let i = 0;
  if (words[0] === 'DROP' && words[1] === 'TABLE') {
    i = 2;
    if (words[i] === 'IF' && words[i + 1] === 'EXISTS') i += 2;
  } else if (words[0] === 'ALTER' && words[1] === 'TABLE') {
    i = 2;
  } else {
    return undefined;
  }
  let table = words[i];
  if (words[i + 1] === '.') {
    if (table !== 'MAIN') return undefined; // attached or temp schemas: not inspected
    table = words[i + 2];
    i += 2;
  }
  if (table === undefined) return undefined;
  if (words[0] === 'DROP') return { table, verb: 'DROP' };
  return words[i + 1] === 'RENAME' && words[i + 2] === 'TO' ? { table, verb: 'RENAME' } : undefined;
}

/**
 * The statements of `script` that drop or rename a table other tables reference with a cascading
 * action (`ON DELETE CASCADE`, `SET NULL`, `SET DEFAULT`): with foreign keys on, a DROP deletes
 * (or blanks) every child row, and a RENAME re-points the children at the renamed table, which the
 * rebuild then drops. Children the script drops too are not counted. Empty when the connection has
 * foreign keys off, or when the script manages `PRAGMA foreign_keys` itself. Reads the schema as it is now (call it under the lock).
 * @see https://www.sqlite.org/lang_altertable.html#otheralter
 * @see https://www.sqlite.org/foreignkeys.html#fk_actions
 */
export function findRebuildHazards(db: Database.Database, script: string): RebuildHazard[] {
  if (!MAYBE_HAZARD.test(script)) return [];
  if (!db.pragma('foreign_keys', { simple: true })) return [];
  const statements = splitSqliteStatements(script);
  const candidates: { statement: (typeof statements)[number]; table: string; verb: 'DROP' | 'RENAME' }[] = [];
  for (const statement of statements) {
    const words = leadingTokens(statement.text, 2);
    if (words[0] === 'PRAGMA' && /^\s*pragma\s+(?:main\s*\.\s*)?["'`[]?foreign_keys/i.test(statement.text)) return [];
    const target = droppedOrRenamed(statement.text);
    if (target) candidates.push({ statement, ...target });
  }
  if (candidates.length === 0) return [];
  const referencing = db.prepare(
    `SELECT m.name AS child, f."from" AS "column", f.on_delete AS action
       FROM sqlite_schema AS m JOIN pragma_foreign_key_list(m.name) AS f
      WHERE m.type = 'table' AND f."table" = ? COLLATE NOCASE AND m.name <> ? COLLATE NOCASE
        AND upper(f.on_delete) IN ${CASCADING}
      ORDER BY m.name, f.id, f.seq`,
  );
  // Child tables the script drops itself lose nothing they were not meant to lose (a down that
  // drops a whole schema, parents first).
  const droppedByScript = new Set(candidates.filter((c) => c.verb === 'DROP').map((c) => c.table));
  const hazards: RebuildHazard[] = [];
  for (const { statement, table, verb } of candidates) {
    const rows = (referencing.all(table, table) as { child: string; column: string; action: string }[]).filter(
      (row) => !droppedByScript.has(row.child.toUpperCase()),
    );
    if (rows.length === 0) continue;
    hazards.push({
      statement: statement.index,
      line: statement.line,
      action: verb === 'DROP' ? `DROP TABLE ${table.toLowerCase()}` : `ALTER TABLE ${table.toLowerCase()} RENAME`,
      references: rows.map((row) => `${row.child}.${row.column} ON DELETE ${row.action.toUpperCase()}`),
    });
  }
  return hazards;
}

/** `PRAGMA foreign_key_check` of the whole database, at most `limit` rows, as text for people. */
export function foreignKeyViolations(db: Database.Database, limit = 5): { count: number; sample: string[] } {
  const rows = db.prepare('PRAGMA foreign_key_check').all() as { table: string; rowid: number | null; parent: string; fkid: number }[];
  return {
    count: rows.length,
    sample: rows.slice(0, limit).map((row) => `${row.table}${row.rowid === null ? '' : ` rowid ${row.rowid}`} -> ${row.parent}`),
  };
}
