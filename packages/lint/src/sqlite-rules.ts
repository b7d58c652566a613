import type { RuleContext } from './lint-context.js';
import type { SqliteStatement, SqliteToken } from './sqlite-parse.js';

/** A foreign key whose parent's deletion reaches the child rows. */
interface CascadingReference {
  child: string;
  parent: string;
  /** `cascade`, `set null` or `set default`. */
  action: string;
}

/** What the linter learnt about a SQLite schema from the migrations it has read. */
export interface SqliteSchema {
  references: CascadingReference[];
  /** Index name → table and columns. */
  indexes: Map<string, { table: string; columns: string[] }>;
}

export function createSqliteSchema(): SqliteSchema {
  return { references: [], indexes: new Map() };
}

const NON_CONSTANT_DEFAULTS = new Set(['current_time', 'current_date', 'current_timestamp']);

/** Reads tokens with a cursor: `accept('if', 'not', 'exists')`. */
class Cursor {
  index = 0;
  constructor(readonly tokens: SqliteToken[]) {}
  peek(offset = 0): SqliteToken | undefined {
    return this.tokens[this.index + offset];
  }
  is(...words: string[]): boolean {
    return words.every((word, offset) => {
      const token = this.peek(offset);
      return token !== undefined && (token.kind === 'word' || token.kind === 'punct') && token.value === word;
    });
  }
  accept(...words: string[]): boolean {
    if (!this.is(...words)) return false;
    this.index += words.length;
    return true;
  }
  /** A (possibly schema-qualified) name: the last part, lower-cased. */
  name(): string {
    let name = this.take()?.value ?? '';
    while (this.is('.')) {
      this.index += 1;
      name = this.take()?.value ?? '';
    }
    return name;
  }
  take(): SqliteToken | undefined {
    return this.tokens[this.index++];
  }
  rest(): SqliteToken[] {
    return this.tokens.slice(this.index);
  }
}

/**
 * Lints the statements of one SQLite migration in order, updating `schema` with what they create
 * (cascading foreign keys, indexes).
 */
export function lintSqliteStatements(statements: readonly SqliteStatement[], schema: SqliteSchema, context: RuleContext): void {
  const created = new Set<string>();
  let foreignKeysOff = false;
  for (const [position, statement] of statements.entries()) {
    const report = (rule: string, message: string) => context.report(rule, statement, message);
    const cursor = new Cursor(statement.tokens);
    if (cursor.accept('pragma')) {
      const name = cursor.name();
      if (name === 'foreign_keys') {
        cursor.accept('=') || cursor.accept('(');
        const value = cursor.take()?.value.toLowerCase();
        if (value !== undefined) foreignKeysOff = ['off', '0', 'false', 'no'].includes(value);
      }
      continue;
    }
    if (cursor.accept('create')) {
      cursor.accept('temp') || cursor.accept('temporary');
      cursor.accept('unique');
      if (cursor.accept('table')) {
        cursor.accept('if', 'not', 'exists');
        const table = cursor.name();
        created.add(table);
        readReferences(table, cursor.rest(), schema);
      } else if (cursor.accept('index')) {
        cursor.accept('if', 'not', 'exists');
        const index = cursor.name();
        if (cursor.accept('on')) {
          const table = cursor.name();
          schema.indexes.set(index, {
            table,
            columns: cursor
              .rest()
              .filter((t) => t.kind === 'word' || t.kind === 'name')
              .map((t) => t.value),
          });
        }
      }
      continue;
    }
    if (cursor.accept('drop')) {
      if (cursor.accept('index')) {
        cursor.accept('if', 'exists');
        schema.indexes.delete(cursor.name());
        continue;
      }
      if (!cursor.accept('table')) continue;
      cursor.accept('if', 'exists');
      const table = cursor.name();
      const rebuilt = statements.slice(position + 1).some((later) => renamesTo(later.tokens, table));
      const cascading = schema.references.filter((ref) => ref.parent === table && ref.child !== table);
      const safePath = !context.transaction && foreignKeysOff;
      if (cascading.length && !safePath) {
        const children = [...new Set(cascading.map((ref) => `${ref.child} (ON DELETE ${ref.action.toUpperCase()})`))].join(', ');
        report(
          'sqlite/rebuild-cascade',
          `DROP TABLE ${table} with foreign keys on deletes its rows first, and that ${cascading.some((r) => r.action === 'cascade') ? 'deletes' : 'changes'} the rows of ${children}`,
        );
      }
      if (!created.has(table) && !rebuilt)
        report('sqlite/drop-table', `DROP TABLE ${table} deletes the table and its rows; code still reading it fails`);
      schema.references = schema.references.filter((ref) => ref.child !== table);
      for (const [name, index] of schema.indexes) if (index.table === table) schema.indexes.delete(name);
      created.delete(table);
      continue;
    }
    if (!cursor.accept('alter', 'table')) continue;
    const table = cursor.name();
    if (cursor.accept('rename')) {
      if (cursor.accept('to')) {
        const renamed = cursor.name();
        for (const ref of schema.references) {
          if (ref.child === table) ref.child = renamed;
        }
        for (const index of schema.indexes.values()) if (index.table === table) index.table = renamed;
        if (created.has(table)) created.add(renamed);
        else
          report(
            'sqlite/rename',
            `Renaming table ${table} to ${renamed} breaks every query of the running application that names ${table}`,
          );
      } else {
        cursor.accept('column');
        const column = cursor.name();
        if (!created.has(table))
          report('sqlite/rename', `Renaming column ${table}.${column} breaks the running application's queries that name it`);
      }
      continue;
    }
    if (cursor.accept('drop')) {
      cursor.accept('column');
      const column = cursor.name();
      if (created.has(table)) continue;
      const indexes = [...schema.indexes]
        .filter(([, index]) => index.table === table && index.columns.includes(column))
        .map(([name]) => name);
      report(
        'sqlite/drop-column',
        `DROP COLUMN ${table}.${column} rewrites ${table}${indexes.length ? ` and SQLite refuses it while index ${indexes.join(', ')} uses the column` : ' (refused when the column is indexed, in a constraint or referenced)'}; code still reading it fails`,
      );
      continue;
    }
    if (cursor.accept('add')) {
      cursor.accept('column');
      const column = cursor.name();
      checkAddColumn(table, column, cursor.rest(), !created.has(table), report);
    }
  }
}

/** `existing`: the table is not created by this migration, so it may have rows. */
function checkAddColumn(
  table: string,
  column: string,
  definition: SqliteToken[],
  existing: boolean,
  report: (rule: string, message: string) => void,
): void {
  const words = definition.map((t) => (t.kind === 'word' || t.kind === 'punct' ? t.value : ''));
  const at = (word: string, next?: string) => words.findIndex((w, i) => w === word && (next === undefined || words[i + 1] === next));
  const defaultAt = at('default');
  let defaultValue: SqliteToken | undefined;
  if (defaultAt >= 0) {
    defaultValue = definition[defaultAt + 1];
    if (defaultValue && defaultValue.kind === 'punct' && (defaultValue.value === '+' || defaultValue.value === '-'))
      defaultValue = definition[defaultAt + 2];
  }
  const nullDefault = defaultValue?.kind === 'word' && defaultValue.value === 'null';
  const generated = at('generated') >= 0 || at('as', '(') >= 0;
  // SQLite checks these two only when the table has rows: a table created by this migration is empty.
  if (existing && at('not', 'null') >= 0 && (defaultValue === undefined || nullDefault) && !generated) {
    report(
      'sqlite/add-column-not-null-no-default',
      `SQLite refuses ADD COLUMN ${column} NOT NULL without a non-NULL default as soon as ${table} has a row ("Cannot add a NOT NULL column with default value NULL")`,
    );
  }
  if (
    existing &&
    defaultValue &&
    ((defaultValue.kind === 'punct' && defaultValue.value === '(') ||
      (defaultValue.kind === 'word' && NON_CONSTANT_DEFAULTS.has(defaultValue.value)))
  ) {
    report(
      'sqlite/add-column-non-constant-default',
      `SQLite refuses ADD COLUMN ${column} with the non-constant default ${defaultValue.value === '(' ? '(an expression in parentheses)' : defaultValue.value.toUpperCase()} as soon as ${table} has a row ("Cannot add a column with non-constant default")`,
    );
  }
  if (at('primary', 'key') >= 0 || at('unique') >= 0) {
    report(
      'sqlite/add-column-unique',
      `SQLite refuses ADD COLUMN ${column} with ${at('unique') >= 0 ? 'UNIQUE' : 'PRIMARY KEY'} on ${table} ("Cannot add a UNIQUE column" / "Cannot add a PRIMARY KEY column")`,
    );
  }
}

/** Whether the statement is `ALTER TABLE x RENAME TO <table>` (the last step of a rebuild). */
function renamesTo(tokens: SqliteToken[], table: string): boolean {
  const cursor = new Cursor(tokens);
  if (!cursor.accept('alter', 'table')) return false;
  cursor.name();
  return cursor.accept('rename', 'to') && cursor.name() === table;
}

/** Records the cascading foreign keys of a CREATE TABLE body. */
function readReferences(table: string, tokens: SqliteToken[], schema: SqliteSchema): void {
  let parent: string | undefined;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'punct') {
      if (token.value === '(') depth += 1;
      else if (token.value === ')') depth -= 1;
      else if (token.value === ',' && depth === 1) parent = undefined;
      continue;
    }
    if (token.kind !== 'word') continue;
    if (token.value === 'references') {
      const cursor = new Cursor(tokens.slice(i + 1));
      parent = cursor.name();
    } else if (parent && token.value === 'on' && tokens[i + 1]?.value === 'delete') {
      const first = tokens[i + 2]?.value;
      const action = first === 'cascade' ? 'cascade' : first === 'set' ? `set ${tokens[i + 3]?.value ?? ''}` : undefined;
      if (action) schema.references.push({ child: table, parent, action });
    } else if (token.value === 'constraint' || token.value === 'foreign') {
      parent = undefined;
    }
  }
}
