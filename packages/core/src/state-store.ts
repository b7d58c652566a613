import { StrataError } from './errors.js';
import type { EventQuery, EventRecord, StateRow, StateWrite } from './state.js';

/** Runs one statement with bound parameters and returns its rows: a dialect connection's `query`. */
export type RunQuery = <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;

/**
 * How one engine spells the state and events tables: the small part of the bookkeeping that
 * differs between databases. Core builds the DDL, every read and write and the row mapping from
 * it ({@link createStateStore}), so a dialect never writes a state store of its own.
 * @example
 * const flavour: StateFlavour = {
 *   tables: { migrations: 'strata_migrations', events: 'strata_events' },
 *   quote: (name) => `"${name}"`,
 *   placeholder: () => '?',
 *   types: { key: 'TEXT', ref: 'TEXT', text: 'TEXT', timestamp: 'TEXT', integer: 'INTEGER', json: 'TEXT', id: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
 *   upsert: 'on-conflict',
 *   tableExistsSql: "SELECT count(*) AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
 * };
 */
export interface StateFlavour {
  /** Table names, already checked against IDENTIFIER_PATTERN. */
  tables: { migrations: string; events: string };
  /** Quotes an identifier (`"name"`, `` `name` ``). */
  quote(name: string): string;
  /**
   * The table as it appears in SQL (default: `quote(table)`): a dialect with schemas qualifies it.
   */
  qualify?(table: string): string;
  /** The bind placeholder of the n-th (1-based) parameter: `$n` or `?`. */
  placeholder(n: number): string;
  /**
   * Column types. `key`: module and version (part of the primary key, so engines that cannot index
   * unbounded text need a bounded type); `ref`: the indexed `module@version` of an event; `text`:
   * anything else; `timestamp`: a UTC time with milliseconds; `json`: event details; `id`: the whole
   * definition after the column name of the events table's auto-increment primary key.
   */
  types: { key: string; ref: string; text: string; timestamp: string; integer: string; json: string; id: string };
  /** Appended to each CREATE TABLE (`ENGINE=InnoDB …`). */
  tableOptions?: string;
  /**
   * How an upsert is written: `on-conflict` (`ON CONFLICT (module, version) DO UPDATE`, PostgreSQL
   * and SQLite) or `on-duplicate-key` (`ON DUPLICATE KEY UPDATE`, MariaDB and MySQL).
   */
  upsert: 'on-conflict' | 'on-duplicate-key';
  /**
   * One statement with one parameter (a table name, unquoted) returning one row whose column
   * `found` is truthy (true, or a count above 0) when that table exists.
   */
  tableExistsSql: string;
  /** A timestamp as bound for a `timestamp` column (default: the ISO 8601 text itself). */
  timestampParam?(iso: string): unknown;
  /**
   * An SQL expression that reads a `timestamp` column (already quoted) as text that `new Date()`
   * parses as UTC (default: the column itself; a Date from the driver is fine too).
   */
  timestampSelect?(column: string): string;
}

/** The state store core builds from a {@link StateFlavour}: the state-table members of a session. */
export interface StateStore {
  ensureStateTables(): Promise<void>;
  readState(): Promise<StateRow[]>;
  readEvents(query: EventQuery): Promise<EventRecord[]>;
  writeState(writes: readonly StateWrite[]): Promise<void>;
}

/** Logical column types of the two tables; the order is the order of every insert. */
export const MIGRATION_COLUMNS = [
  ['module', 'key'],
  ['version', 'key'],
  ['name', 'text'],
  ['checksum', 'text'],
  ['checksum_algo', 'text'],
  ['status', 'text'],
  ['applied_at', 'timestamp'],
  ['execution_ms', 'integer'],
  ['applied_by', 'text'],
  ['tool_version', 'text'],
] as const;

export const EVENT_COLUMNS = [
  ['at', 'timestamp'],
  ['action', 'text'],
  ['migration_id', 'ref'],
  ['outcome', 'text'],
  ['duration_ms', 'integer'],
  ['actor', 'text'],
  ['host', 'text'],
  ['tool_version', 'text'],
  ['backup_id', 'text'],
  ['error_code', 'text'],
  ['error_message', 'text'],
  ['sql_state', 'text'],
  ['details', 'json'],
] as const;

/** Columns that may be NULL; every other one is NOT NULL. */
const NULLABLE = new Set(['migration_id', 'duration_ms', 'backup_id', 'error_code', 'error_message', 'sql_state', 'details']);

const whole = (value: number, what: string): number => {
  if (!Number.isFinite(value)) throw new StrataError('STRATA_INTERNAL', `A state value is not a finite number: ${what} = ${value}`);
  return Math.trunc(value);
};

/** The values of a state row, in {@link MIGRATION_COLUMNS} order. */
export function stateRowValues(row: StateRow, timestamp: (iso: string) => unknown = (iso) => iso): unknown[] {
  return [
    row.module,
    row.version,
    row.name,
    row.checksum,
    row.checksumAlgo,
    row.status,
    timestamp(row.appliedAt),
    whole(row.executionMs, 'execution_ms'),
    row.appliedBy,
    row.toolVersion,
  ];
}

/** The values of an event, in {@link EVENT_COLUMNS} order; details as JSON text. */
export function eventValues(event: EventRecord, timestamp: (iso: string) => unknown = (iso) => iso): unknown[] {
  return [
    timestamp(event.at),
    event.action,
    event.migrationId,
    event.outcome,
    event.durationMs === null || event.durationMs === undefined ? null : whole(event.durationMs, 'duration_ms'),
    event.actor,
    event.host,
    event.toolVersion,
    event.backupId,
    event.errorCode,
    event.errorMessage,
    event.sqlState,
    event.details === null || event.details === undefined ? null : JSON.stringify(event.details),
  ];
}

/** A timestamp the driver returned (ISO text, engine text in UTC, or a Date) as ISO 8601. */
export function isoTimestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  if (text.length === 24 && text[10] === 'T' && text.endsWith('Z')) return text;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new StrataError('STRATA_INTERNAL', `The state table holds a time that is not one: ${JSON.stringify(text.slice(0, 40))}`);
  return date.toISOString();
}

/** A row read with the columns of {@link MIGRATION_COLUMNS} as a StateRow. */
export function toStateRow(row: Record<string, unknown>): StateRow {
  return {
    module: String(row.module),
    version: String(row.version),
    name: String(row.name),
    checksum: String(row.checksum),
    checksumAlgo: String(row.checksum_algo),
    status: row.status as StateRow['status'],
    appliedAt: isoTimestamp(row.applied_at),
    executionMs: Number(row.execution_ms),
    appliedBy: String(row.applied_by),
    toolVersion: String(row.tool_version),
  };
}

/** A row read with `id` and the columns of {@link EVENT_COLUMNS} as an EventRecord. */
export function toEventRecord(row: Record<string, unknown>): EventRecord {
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return {
    id: Number(row.id),
    at: isoTimestamp(row.at),
    action: row.action as EventRecord['action'],
    migrationId: text(row.migration_id),
    outcome: row.outcome as EventRecord['outcome'],
    durationMs: row.duration_ms === null || row.duration_ms === undefined ? null : Number(row.duration_ms),
    actor: String(row.actor),
    host: String(row.host),
    toolVersion: String(row.tool_version),
    backupId: text(row.backup_id),
    errorCode: text(row.error_code),
    errorMessage: text(row.error_message),
    sqlState: text(row.sql_state),
    // Text JSON comes back as a string; native JSON types (jsonb, MySQL's JSON) already parsed.
    details: (typeof row.details === 'string' ? JSON.parse(row.details) : (row.details ?? null)) as Record<string, unknown> | null,
  };
}

/** The SQL of the state store for one flavour: pure, so it can be unit-tested and reused. */
export function stateStoreSql(flavour: StateFlavour) {
  const q = flavour.quote;
  const table = (name: string) => (flavour.qualify ? flavour.qualify(name) : q(name));
  const migrations = table(flavour.tables.migrations);
  const events = table(flavour.tables.events);
  const marks = (count: number, from = 1) => Array.from({ length: count }, (_, i) => flavour.placeholder(from + i)).join(', ');
  const options = flavour.tableOptions ? ` ${flavour.tableOptions}` : '';
  const column = ([name, type]: readonly [string, keyof StateFlavour['types']]) =>
    `  ${q(name)} ${flavour.types[type]}${NULLABLE.has(name) ? '' : ' NOT NULL'}`;
  const read = ([name, type]: readonly [string, string]) =>
    type === 'timestamp' && flavour.timestampSelect ? `${flavour.timestampSelect(q(name))} AS ${q(name)}` : q(name);
  const migrationList = MIGRATION_COLUMNS.map(([name]) => q(name)).join(', ');
  const insert = `INSERT INTO ${migrations} (${migrationList}) VALUES (${marks(MIGRATION_COLUMNS.length)})`;
  const updated = MIGRATION_COLUMNS.slice(2).map(([name]) => q(name));
  return {
    createMigrations:
      `CREATE TABLE ${migrations} (\n${MIGRATION_COLUMNS.map(column).join(',\n')},\n` +
      `  CHECK (${q('status')} IN ('applied', 'running', 'failed')),\n  PRIMARY KEY (${q('module')}, ${q('version')})\n)${options}`,
    createEvents: `CREATE TABLE ${events} (\n  ${q('id')} ${flavour.types.id},\n${EVENT_COLUMNS.map(column).join(',\n')}\n)${options}`,
    createEventsIndex: `CREATE INDEX ${q(`${flavour.tables.events}_migration_id`.slice(0, 63))} ON ${events} (${q('migration_id')})`,
    insert,
    upsert:
      flavour.upsert === 'on-conflict'
        ? `${insert} ON CONFLICT (${q('module')}, ${q('version')}) DO UPDATE SET ${updated.map((c) => `${c} = excluded.${c}`).join(', ')}`
        : `${insert} ON DUPLICATE KEY UPDATE ${updated.map((c) => `${c} = VALUES(${c})`).join(', ')}`,
    delete: `DELETE FROM ${migrations} WHERE ${q('module')} = ${flavour.placeholder(1)} AND ${q('version')} = ${flavour.placeholder(2)}`,
    insertEvent: `INSERT INTO ${events} (${EVENT_COLUMNS.map(([name]) => q(name)).join(', ')}) VALUES (${marks(EVENT_COLUMNS.length)})`,
    // Oldest first per module, sorted on the stored time, not on its text.
    selectState: `SELECT ${MIGRATION_COLUMNS.map(read).join(', ')} FROM ${migrations} ORDER BY ${q('module')}, ${q('applied_at')}, ${q('version')}`,
    selectEvents: (query: EventQuery): { sql: string; params: unknown[] } => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.migrationId !== undefined) {
        params.push(query.migrationId);
        where.push(`${q('migration_id')} = ${flavour.placeholder(params.length)}`);
      }
      if (query.module !== undefined) {
        // A prefix compared exactly: LIKE would treat `_` as a wildcard and fold case on some engines.
        const prefix = `${query.module}@`;
        params.push(prefix);
        where.push(`substr(${q('migration_id')}, 1, ${[...prefix].length}) = ${flavour.placeholder(params.length)}`);
      }
      const limit = Math.max(0, Math.trunc(Number(query.limit ?? 100)) || 0);
      const columns = [q('id'), ...EVENT_COLUMNS.map(read)].join(', ');
      return {
        sql: `SELECT ${columns} FROM ${events}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${q('id')} DESC LIMIT ${limit}`,
        params,
      };
    },
  };
}

/**
 * The state store of a dialect that supplies only `query` and a {@link StateFlavour}: core owns
 * the DDL, the reads and writes and the row mapping.
 */
export function createStateStore(flavour: StateFlavour, run: RunQuery): StateStore {
  const sql = stateStoreSql(flavour);
  const timestamp = flavour.timestampParam ?? ((iso: string) => iso);
  const exists = async (table: string): Promise<boolean> => {
    const [row] = await run<{ found: unknown }>(flavour.tableExistsSql, [table]);
    const found = row?.found;
    return found === true || Number(found) > 0;
  };
  return {
    async ensureStateTables() {
      // Look before creating: on engines where DDL commits implicitly (MariaDB), a CREATE TABLE IF
      // NOT EXISTS of a table that is there would still end the transaction core has open.
      if (!(await exists(flavour.tables.migrations))) await run(sql.createMigrations);
      if (!(await exists(flavour.tables.events))) {
        await run(sql.createEvents);
        await run(sql.createEventsIndex);
      }
    },
    async readState() {
      if (!(await exists(flavour.tables.migrations))) return [];
      return (await run<Record<string, unknown>>(sql.selectState)).map(toStateRow);
    },
    async readEvents(query) {
      if (!(await exists(flavour.tables.events))) return [];
      const { sql: text, params } = sql.selectEvents(query);
      return (await run<Record<string, unknown>>(text, params)).map(toEventRecord);
    },
    async writeState(writes) {
      for (const write of writes) {
        switch (write.kind) {
          case 'insert':
            // An apply: a row already there fails on the primary key instead of being replaced.
            await run(sql.insert, stateRowValues(write.row, timestamp));
            break;
          case 'upsert':
            await run(sql.upsert, stateRowValues(write.row, timestamp));
            break;
          case 'delete':
            await run(sql.delete, [write.module, write.version]);
            break;
          case 'event':
            await run(sql.insertEvent, eventValues(write.event, timestamp));
            break;
        }
      }
    },
  };
}
