import type { RuleContext } from './lint-context.js';
import type { LintStatement } from './lint-statement.js';
import { expandDeferred, isBinaryCoercible, type PostgresSchema, tableOf, typeText } from './postgres-schema.js';

type Node = Record<string, unknown>;

/** What one migration has done so far: the "created in this migration" tracking. */
interface MigrationState {
  tables: Set<string>;
  indexes: Set<string>;
  /** `table.constraint` added NOT VALID in this migration. */
  notValid: Set<string>;
  lockTimeoutSet: boolean;
  lockTimeoutReported: boolean;
  /** The migration's transaction mode. */
  transaction: boolean;
}

const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

/** Functions whose value is the same for every row of an ADD COLUMN (no rewrite; PostgreSQL 11+). */
const NON_VOLATILE_FUNCTIONS = new Set([
  'now',
  'statement_timestamp',
  'transaction_timestamp',
  'current_setting',
  'current_database',
  'current_schema',
  'current_user',
  'session_user',
  'lower',
  'upper',
  'to_jsonb',
  'to_json',
  'jsonb_build_object',
  'json_build_object',
  'jsonb_build_array',
  'json_build_array',
  'array_fill',
  'make_date',
  'make_timestamp',
  'make_timestamptz',
  'make_interval',
  'to_timestamp',
  'to_date',
  'date_trunc',
  'length',
  'concat',
  'replace',
  'trim',
  'btrim',
  'coalesce',
  'nullif',
  'abs',
  'round',
]);

const nodeOf = (tree: Node): [string, Node] => {
  const kind = Object.keys(tree)[0] ?? '';
  return [kind, (tree[kind] ?? {}) as Node];
};
const relName = (relation: unknown): string => String(((relation ?? {}) as Node).relname ?? '');
const lastName = (list: unknown): string => {
  const items = Array.isArray(list) ? (list as Node[]) : [];
  const last = items[items.length - 1];
  return String((last?.String as Node | undefined)?.sval ?? '');
};
const constraintsOf = (column: Node): Node[] => ((column.constraints ?? []) as Node[]).map((c) => (c.Constraint ?? {}) as Node);

/** The first function in an expression tree that may return a different value per row, if any. */
function volatileFunction(expr: unknown): string | undefined {
  if (Array.isArray(expr)) {
    for (const item of expr) {
      const found = volatileFunction(item);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof expr !== 'object' || expr === null) return undefined;
  const node = expr as Node;
  if (node.FuncCall) {
    const name = lastName((node.FuncCall as Node).funcname);
    if (!NON_VOLATILE_FUNCTIONS.has(name)) return name;
  }
  for (const value of Object.values(node)) {
    const found = volatileFunction(value);
    if (found) return found;
  }
  return undefined;
}

/** `col` when the expression is `col IS NOT NULL`. */
function notNullColumn(expr: unknown): string | undefined {
  const test = ((expr ?? {}) as Node).NullTest as Node | undefined;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = (((test.arg ?? {}) as Node).ColumnRef as Node | undefined)?.fields;
  return lastName(fields) || undefined;
}

/** The message of `pg/index-not-concurrent` for a CREATE INDEX (shared with the fast path). */
export function indexNotConcurrentMessage(table: string): string {
  return `CREATE INDEX on ${table} without CONCURRENTLY blocks writes to ${table} (SHARE lock) until the index is built`;
}

/**
 * Lints the statements of one PostgreSQL migration in order, updating `schema` with what they
 * create. With `context.report` a no-op, it only reads (for migrations already applied).
 */
export function lintPostgresStatements(
  statements: readonly LintStatement[],
  schema: PostgresSchema,
  context: RuleContext,
  parseSync: (sql: string) => unknown,
): void {
  const state: MigrationState = {
    tables: new Set(),
    indexes: new Set(),
    notValid: new Set(),
    lockTimeoutSet: false,
    lockTimeoutReported: false,
    transaction: context.transaction,
  };
  for (const statement of statements) {
    if (!statement.tree) {
      context.report(
        'lint/parse-error',
        statement,
        `The PostgreSQL parser rejects this statement: ${statement.parseError ?? 'syntax error'}`,
      );
      continue;
    }
    checkStatement(statement, statement.tree, schema, state, context, parseSync);
  }
}

function checkStatement(
  statement: LintStatement,
  tree: Node,
  schema: PostgresSchema,
  state: MigrationState,
  context: RuleContext,
  parseSync: (sql: string) => unknown,
): void {
  const [kind, node] = nodeOf(tree);
  const report = (rule: string, message: string) => context.report(rule, statement, message);
  const existing = (table: string) => table !== '' && !state.tables.has(table);
  const locks = (table: string) => {
    if (!existing(table) || state.lockTimeoutSet || state.lockTimeoutReported || context.lockTimeoutMs > 0) return;
    state.lockTimeoutReported = true;
    report(
      'pg/missing-lock-timeout',
      `This migration locks ${table} with no lock_timeout: it would queue behind a long transaction and block every query on ${table} meanwhile`,
    );
  };
  const notIdempotent = (what: string, fix: string) => {
    if (!context.transaction)
      report('pg/not-idempotent', `${what} fails when the non-transactional migration is run again after a failure; write ${fix}`);
  };
  const concurrentlyInTransaction = (what: string) => {
    if (context.transaction)
      report('pg/concurrently-in-transaction', `${what} cannot run inside a transaction block, and this migration is transactional`);
  };

  switch (kind) {
    case 'CreateStmt': {
      const table = relName(node.relation);
      state.tables.add(table);
      const model = tableOf(schema, table);
      for (const element of (node.tableElts ?? []) as Node[]) {
        const column = element.ColumnDef as Node | undefined;
        if (column) model.columns.set(String(column.colname), typeText(column.typeName));
      }
      if (!node.if_not_exists) notIdempotent('CREATE TABLE without IF NOT EXISTS', 'CREATE TABLE IF NOT EXISTS');
      return;
    }
    case 'CreateTableAsStmt': {
      const into = (node.into ?? {}) as Node;
      state.tables.add(relName(into.rel));
      return;
    }
    case 'IndexStmt': {
      const table = relName(node.relation);
      if (node.idxname) state.indexes.add(String(node.idxname));
      locks(table);
      if (node.concurrent) concurrentlyInTransaction('CREATE INDEX CONCURRENTLY');
      else if (existing(table)) report('pg/index-not-concurrent', indexNotConcurrentMessage(table));
      if (!node.if_not_exists)
        notIdempotent(
          'CREATE INDEX without IF NOT EXISTS',
          'CREATE INDEX CONCURRENTLY IF NOT EXISTS (and check for an INVALID index left by a failed build)',
        );
      return;
    }
    case 'DropStmt':
      return checkDrop(node, state, report, notIdempotent, concurrentlyInTransaction, locks);
    case 'AlterTableStmt':
      if (node.objtype !== 'OBJECT_TABLE') return;
      return checkAlterTable(node, schema, state, report, notIdempotent, locks, parseSync);
    case 'RenameStmt': {
      const type = String(node.renameType);
      const table = relName(node.relation);
      if (type === 'OBJECT_TABLE' || type === 'OBJECT_COLUMN') {
        locks(table);
        const model = schema.tables.get(table);
        if (type === 'OBJECT_TABLE') {
          if (model) {
            schema.tables.delete(table);
            schema.tables.set(String(node.newname), model);
          }
          if (state.tables.has(table)) state.tables.add(String(node.newname));
          else
            report(
              'pg/rename',
              `Renaming table ${table} to ${String(node.newname)} breaks every query of the running application that names ${table}`,
            );
        } else {
          const type = model?.columns.get(String(node.subname));
          if (model && type !== undefined) {
            model.columns.delete(String(node.subname));
            model.columns.set(String(node.newname), type);
          }
          if (existing(table))
            report(
              'pg/rename',
              `Renaming column ${table}.${String(node.subname)} to ${String(node.newname)} breaks the running application's queries that name it`,
            );
        }
      }
      return;
    }
    case 'TruncateStmt':
      for (const relation of (node.relations ?? []) as Node[]) {
        const table = relName(relation.RangeVar);
        locks(table);
        if (existing(table)) report('pg/truncate', `TRUNCATE ${table} deletes every row, under an ACCESS EXCLUSIVE lock`);
      }
      return;
    case 'VacuumStmt': {
      const full = ((node.options ?? []) as Node[]).some((o) => (o.DefElem as Node | undefined)?.defname === 'full');
      if (node.is_vacuumcmd) concurrentlyInTransaction('VACUUM');
      if (full)
        report(
          'pg/blocking-maintenance',
          'VACUUM FULL rewrites each table under an ACCESS EXCLUSIVE lock: no reads or writes until it ends',
        );
      return;
    }
    case 'ClusterStmt': {
      const table = relName(node.relation);
      if (table === '' || existing(table))
        report(
          'pg/blocking-maintenance',
          `CLUSTER ${table || '(every clustered table)'} rewrites the table under an ACCESS EXCLUSIVE lock`,
        );
      return;
    }
    case 'ReindexStmt': {
      const name = relName(node.relation);
      const concurrently = ((node.params ?? []) as Node[]).some((p) => (p.DefElem as Node | undefined)?.defname === 'concurrently');
      if (concurrently) concurrentlyInTransaction('REINDEX … CONCURRENTLY');
      else if (!state.tables.has(name) && !state.indexes.has(name)) {
        report(
          'pg/blocking-maintenance',
          `REINDEX ${name} without CONCURRENTLY blocks writes (and reads that use the index) until it ends`,
        );
      }
      return;
    }
    case 'TransactionStmt':
      report(
        'pg/transaction-control',
        `${String(node.kind)
          .replace(/^TRANS_STMT_/, '')
          .replace(/_/g, ' ')} in a migration: strata opens and ends the transaction itself, so this one ends strata's early or fails`,
      );
      return;
    case 'VariableSetStmt':
      if (node.name === 'lock_timeout') state.lockTimeoutSet = !isZeroSetting(node.args);
      return;
    case 'SelectStmt': {
      // SELECT set_config('lock_timeout', '5s', …)
      const text = JSON.stringify(node);
      if (text.includes('"set_config"') && text.includes('"lock_timeout"')) state.lockTimeoutSet = true;
      return;
    }
    case 'CreateSchemaStmt':
      if (!node.if_not_exists) notIdempotent('CREATE SCHEMA without IF NOT EXISTS', 'CREATE SCHEMA IF NOT EXISTS');
      return;
    case 'CreateSeqStmt':
      if (!node.if_not_exists) notIdempotent('CREATE SEQUENCE without IF NOT EXISTS', 'CREATE SEQUENCE IF NOT EXISTS');
      return;
    case 'CreateExtensionStmt':
      if (!node.if_not_exists) notIdempotent('CREATE EXTENSION without IF NOT EXISTS', 'CREATE EXTENSION IF NOT EXISTS');
      return;
    default:
      return;
  }
}

function isZeroSetting(args: unknown): boolean {
  const constant = (((args ?? []) as Node[])[0]?.A_Const ?? {}) as Node;
  const ival = (constant.ival as Node | undefined)?.ival;
  const sval = (constant.sval as Node | undefined)?.sval;
  if (constant.ival !== undefined) return !ival;
  return sval === undefined || /^0\s*[a-z]*$/i.test(String(sval));
}

type Report = (rule: string, message: string) => void;
type NotIdempotent = (what: string, fix: string) => void;

function checkDrop(
  node: Node,
  state: MigrationState,
  report: Report,
  notIdempotent: NotIdempotent,
  concurrentlyInTransaction: (what: string) => void,
  locks: (table: string) => void,
): void {
  const type = String(node.removeType);
  const names = ((node.objects ?? []) as Node[]).map((object) =>
    object.List ? lastName((object.List as Node).items) : String((object.String as Node | undefined)?.sval ?? ''),
  );
  if (!node.missing_ok) notIdempotent(`DROP ${type.replace(/^OBJECT_/, '')} without IF EXISTS`, 'DROP … IF EXISTS');
  if (type === 'OBJECT_INDEX') {
    if (node.concurrent) return concurrentlyInTransaction('DROP INDEX CONCURRENTLY');
    for (const name of names) {
      if (!state.indexes.has(name))
        report('pg/index-not-concurrent', `DROP INDEX ${name} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table`);
    }
  } else if (type === 'OBJECT_TABLE') {
    for (const name of names) {
      if (state.tables.has(name)) continue;
      locks(name);
      report('pg/drop-table', `DROP TABLE ${name} deletes the table and its rows; code still reading it fails`);
    }
  } else if (type === 'OBJECT_SCHEMA') {
    for (const name of names)
      report(
        'pg/drop-schema',
        `DROP SCHEMA ${name}${node.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''} deletes the schema and what it holds`,
      );
  }
}

function checkAlterTable(
  node: Node,
  schema: PostgresSchema,
  state: MigrationState,
  report: Report,
  notIdempotent: NotIdempotent,
  locks: (table: string) => void,
  parseSync: (sql: string) => unknown,
): void {
  const table = relName(node.relation);
  const existing = !state.tables.has(table);
  const model = tableOf(schema, table);
  locks(table);
  for (const item of (node.cmds ?? []) as Node[]) {
    const cmd = (item.AlterTableCmd ?? {}) as Node;
    const subtype = String(cmd.subtype);
    const def = (cmd.def ?? {}) as Node;
    const columnName = String(cmd.name ?? '');
    switch (subtype) {
      case 'AT_AddColumn': {
        const column = (def.ColumnDef ?? {}) as Node;
        const name = String(column.colname);
        const type = typeText(column.typeName);
        model.columns.set(name, type);
        if (!cmd.missing_ok) notIdempotent('ADD COLUMN without IF NOT EXISTS', 'ADD COLUMN IF NOT EXISTS');
        if (!existing) break;
        const constraints = constraintsOf(column);
        const has = (type: string) => constraints.find((c) => c.contype === type);
        const defaultExpr = has('CONSTR_DEFAULT')?.raw_expr;
        const generated = has('CONSTR_GENERATED');
        const serial = SERIAL_TYPES.has(type);
        if (generated?.generated_kind === 's')
          report(
            'pg/add-column-rewrite',
            `Adding the stored generated column ${table}.${name} rewrites ${table} under an ACCESS EXCLUSIVE lock`,
          );
        else if (has('CONSTR_IDENTITY'))
          report(
            'pg/add-column-rewrite',
            `Adding the identity column ${table}.${name} rewrites ${table} (every row gets a sequence value) under an ACCESS EXCLUSIVE lock`,
          );
        else if (serial)
          report(
            'pg/add-column-rewrite',
            `Adding the ${type} column ${table}.${name} rewrites ${table} (every row gets a sequence value) under an ACCESS EXCLUSIVE lock`,
          );
        if (has('CONSTR_NOTNULL') && defaultExpr === undefined && !generated && !has('CONSTR_IDENTITY') && !serial) {
          report('pg/add-column-not-null-no-default', `ADD COLUMN ${name} NOT NULL without a default fails as soon as ${table} has a row`);
        }
        const volatile = defaultExpr === undefined ? undefined : volatileFunction(defaultExpr);
        if (volatile)
          report(
            'pg/add-column-volatile-default',
            `The default of ${table}.${name} calls ${volatile}(), which can differ per row: PostgreSQL rewrites ${table} under an ACCESS EXCLUSIVE lock`,
          );
        if (has('CONSTR_UNIQUE') || has('CONSTR_PRIMARY'))
          report(
            'pg/unique-without-index',
            `ADD COLUMN ${name} ${has('CONSTR_PRIMARY') ? 'PRIMARY KEY' : 'UNIQUE'} builds the index under an ACCESS EXCLUSIVE lock on ${table}`,
          );
        if (has('CONSTR_CHECK'))
          report(
            'pg/check-not-valid',
            `The CHECK on the new column ${table}.${name} is validated against every row under an ACCESS EXCLUSIVE lock`,
          );
        break;
      }
      case 'AT_AlterColumnType': {
        const to = typeText(((def.ColumnDef ?? {}) as Node).typeName);
        if (!model.columns.has(columnName) && schema.deferred.length) expandDeferred(schema, parseSync);
        const from = model.columns.get(columnName);
        model.columns.set(columnName, to);
        if (!existing) break;
        const usingClause = ((def.ColumnDef ?? {}) as Node).raw_default !== undefined;
        if (from !== undefined && !usingClause && isBinaryCoercible(from, to)) break;
        report(
          'pg/alter-column-type',
          `Changing ${table}.${columnName} ${from ? `from ${from} ` : ''}to ${to} rewrites ${table} and its indexes under an ACCESS EXCLUSIVE lock${from ? '' : ' (unless the change is binary-coercible, such as varchar(n) to a longer varchar or text)'}`,
        );
        break;
      }
      case 'AT_SetNotNull':
        if (existing && !model.provenNotNull.has(columnName)) {
          report('pg/set-not-null', `SET NOT NULL on ${table}.${columnName} scans the whole table under an ACCESS EXCLUSIVE lock`);
        }
        break;
      case 'AT_AddConstraint': {
        const constraint = (def.Constraint ?? {}) as Node;
        const type = String(constraint.contype);
        const name = String(constraint.conname ?? '');
        const notValid = constraint.skip_validation === true;
        if (type === 'CONSTR_CHECK') {
          const column = notNullColumn(constraint.raw_expr);
          if (column && notValid && name) model.notNullChecks.set(name, column);
          else if (column && !notValid) model.provenNotNull.add(column);
          if (notValid && name) state.notValid.add(`${table}.${name}`);
          if (existing && !notValid)
            report(
              'pg/check-not-valid',
              `ADD CONSTRAINT ${name || ''} CHECK without NOT VALID checks every row of ${table} under an ACCESS EXCLUSIVE lock`.replace(
                '  ',
                ' ',
              ),
            );
        } else if (type === 'CONSTR_FOREIGN') {
          if (notValid && name) state.notValid.add(`${table}.${name}`);
          const parent = relName(constraint.pktable);
          if (existing && !notValid)
            report(
              'pg/foreign-key-not-valid',
              `ADD FOREIGN KEY without NOT VALID checks every row of ${table} while blocking writes to both ${table} and ${parent}`,
            );
        } else if (type === 'CONSTR_UNIQUE' || type === 'CONSTR_PRIMARY' || type === 'CONSTR_EXCLUSION') {
          if (existing && !constraint.indexname) {
            const what = type === 'CONSTR_UNIQUE' ? 'UNIQUE' : type === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'EXCLUDE';
            report(
              'pg/unique-without-index',
              `ADD ${what} builds its index under an ACCESS EXCLUSIVE lock on ${table}: no reads or writes until it is built`,
            );
          }
        } else if (type === 'CONSTR_NOTNULL' && existing && !model.provenNotNull.has(lastName(constraint.keys))) {
          report('pg/set-not-null', `Adding a NOT NULL constraint on ${table} scans the whole table under an ACCESS EXCLUSIVE lock`);
        }
        break;
      }
      case 'AT_ValidateConstraint': {
        const column = model.notNullChecks.get(columnName);
        if (column) model.provenNotNull.add(column);
        if (state.transaction && state.notValid.has(`${table}.${columnName}`)) {
          report(
            'pg/validate-same-transaction',
            `VALIDATE CONSTRAINT ${columnName} runs in the same transaction as its ADD … NOT VALID, so the ACCESS EXCLUSIVE lock taken by the ADD is held during the whole validation scan`,
          );
        }
        break;
      }
      case 'AT_DropColumn':
        model.columns.delete(columnName);
        if (!cmd.missing_ok) notIdempotent('DROP COLUMN without IF EXISTS', 'DROP COLUMN IF EXISTS');
        if (existing)
          report('pg/drop-column', `DROP COLUMN ${table}.${columnName} deletes its data; code (and ORM models) still reading it fail`);
        break;
      default:
        break;
    }
  }
}
