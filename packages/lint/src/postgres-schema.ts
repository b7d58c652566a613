/** What the linter learnt about a PostgreSQL table from the migrations it has read. */
export interface PostgresTable {
  /** Column name → type as written (`varchar(20)`, `int4`). */
  columns: Map<string, string>;
  /** CHECK (col IS NOT NULL) constraints added NOT VALID: constraint name → column. */
  notNullChecks: Map<string, string>;
  /** Columns with a validated CHECK (col IS NOT NULL): SET NOT NULL on them skips the scan. */
  provenNotNull: Set<string>;
}

/** The schema as the migrations read so far built it, shared across the migrations of one lint. */
export interface PostgresSchema {
  tables: Map<string, PostgresTable>;
  /**
   * Scripts that took the fast path (CREATE TABLE and friends, not parsed): parsed only when a rule
   * needs a column type they may define, then emptied.
   */
  deferred: string[];
}

export function createPostgresSchema(): PostgresSchema {
  return { tables: new Map(), deferred: [] };
}

/**
 * Parses the deferred scripts and records the columns of the tables they create, for tables the
 * parsed migrations have not described (later statements were parsed in order and win).
 */
export function expandDeferred(schema: PostgresSchema, parseSync: (sql: string) => unknown): void {
  const scripts = schema.deferred;
  schema.deferred = [];
  for (const sql of scripts) {
    let stmts: { stmt: Record<string, Record<string, unknown>> }[];
    try {
      stmts = (parseSync(sql) as { stmts?: typeof stmts }).stmts ?? [];
    } catch {
      continue;
    }
    for (const { stmt } of stmts) {
      const create = stmt.CreateStmt;
      if (!create) continue;
      const name = String((create.relation as Record<string, unknown> | undefined)?.relname ?? '');
      const table = tableOf(schema, name);
      if (table.columns.size > 0) continue;
      for (const element of (create.tableElts ?? []) as Record<string, Record<string, unknown>>[]) {
        const column = element.ColumnDef;
        if (column) table.columns.set(String(column.colname), typeText(column.typeName));
      }
    }
  }
}

export function tableOf(schema: PostgresSchema, name: string): PostgresTable {
  let table = schema.tables.get(name);
  if (!table) {
    table = { columns: new Map(), notNullChecks: new Map(), provenNotNull: new Set() };
    schema.tables.set(name, table);
  }
  return table;
}

type Node = Record<string, unknown>;

/** `varchar(20)`, `int4`, `numeric(10,2)`, `text[]` from a TypeName node. */
export function typeText(typeName: unknown): string {
  const node = (typeName ?? {}) as Node;
  const names = ((node.names ?? []) as Node[]).map((n) => String((n.String as Node | undefined)?.sval ?? ''));
  const name = names.filter((n) => n !== 'pg_catalog').join('.');
  const mods = ((node.typmods ?? []) as Node[]).map((m) => {
    const constant = m.A_Const as Node | undefined;
    const ival = (constant?.ival as Node | undefined)?.ival;
    return ival === undefined ? '?' : String(ival);
  });
  const array = Array.isArray(node.arrayBounds) && node.arrayBounds.length ? '[]' : '';
  return `${name}${mods.length ? `(${mods.join(',')})` : ''}${array}`;
}

const UNBOUNDED_TEXT = new Set(['text', 'varchar']);

/**
 * Whether `from` → `to` is a change PostgreSQL makes without rewriting the table (binary-coercible
 * and no narrower): varchar(n) → varchar(m ≥ n) / varchar / text, text ↔ varchar, numeric(p,s) →
 * numeric(q ≥ p, s), varbit(n) → varbit(m ≥ n), cidr → inet, or no change at all.
 */
export function isBinaryCoercible(from: string, to: string): boolean {
  if (from === to) return true;
  const parse = (type: string) => {
    const match = /^([a-z0-9_. ]+?)(?:\(([0-9?,]+)\))?$/.exec(type);
    return match ? { name: match[1]!, mods: match[2]?.split(',').map(Number) ?? [] } : undefined;
  };
  const a = parse(from);
  const b = parse(to);
  if (!a || !b) return false;
  const widen = (x: number[], y: number[]) => y.length === 0 || (x.length > 0 && y[0]! >= x[0]!);
  if ((a.name === 'varchar' || a.name === 'text') && UNBOUNDED_TEXT.has(b.name) && b.mods.length === 0) return true;
  if (a.name === 'varchar' && b.name === 'varchar') return widen(a.mods, b.mods);
  if (a.name === 'numeric' && b.name === 'numeric')
    return b.mods.length === 0 || (a.mods.length > 0 && widen(a.mods, b.mods) && (a.mods[1] ?? 0) === (b.mods[1] ?? 0));
  if (a.name === 'varbit' && b.name === 'varbit') return widen(a.mods, b.mods);
  return a.name === 'cidr' && b.name === 'inet';
}
