import { StrataError } from '@strata/core';
import type { EventQuery, EventRecord, StateRow, StateWrite } from '@strata/core';

/** Runs one statement with bound parameters; the session's query function. */
export type RunQuery = <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;

/** Where the state tables live: already validated names. */
export interface PostgresStateTables {
  schema: string;
  migrations: string;
  events: string;
}

/** `"name"`: every name here passed IDENTIFIER_PATTERN, doubling quotes is belt and braces. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

/**
 * A string literal that means the same text whatever `standard_conforming_strings` says: the
 * `E'…'` form always treats backslash as an escape, so both `\` and `'` are doubled. NUL cannot
 * be stored in PostgreSQL text and is refused.
 *
 * Used only by {@link buildStateWritesSql}, for the one-round-trip path, where bind parameters
 * are impossible (a simple-protocol query with several statements takes none). It is safe there
 * because: the values are strings strata produced itself (ids, checksums, names, JSON), every one
 * goes through this function; the whole multi-statement string is parsed by the server before
 * any statement of it runs, so a `SET standard_conforming_strings` or `SET client_encoding` in the
 * migration cannot change how these literals are read; and pg always talks UTF-8.
 * @example
 * escapePostgresLiteral("it's"); // "E'it''s'"
 */
export function escapePostgresLiteral(value: string): string {
  if (value.includes('\u0000')) {
    throw new StrataError('STRATA_INTERNAL', 'A state value holds a NUL character, which PostgreSQL text cannot store', {
      hint: 'Remove the NUL character from the migration name or event details',
    });
  }
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function literal(value: string | number | null | undefined, cast?: string): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new StrataError('STRATA_INTERNAL', `A state value is not a finite number: ${value}`);
    return String(Math.trunc(value));
  }
  const text = escapePostgresLiteral(value);
  return cast ? `${text}::${cast}` : text;
}

const MIGRATION_COLUMNS = [
  'module',
  'version',
  'name',
  'checksum',
  'checksum_algo',
  'status',
  'applied_at',
  'execution_ms',
  'applied_by',
  'tool_version',
] as const;

const EVENT_COLUMNS = [
  'at',
  'action',
  'migration_id',
  'outcome',
  'duration_ms',
  'actor',
  'host',
  'tool_version',
  'backup_id',
  'error_code',
  'error_message',
  'sql_state',
  'details',
] as const;

function rowValues(row: StateRow): (string | number | null)[] {
  return [
    row.module,
    row.version,
    row.name,
    row.checksum,
    row.checksumAlgo,
    row.status,
    row.appliedAt,
    row.executionMs,
    row.appliedBy,
    row.toolVersion,
  ];
}

function eventValues(event: EventRecord): (string | number | null)[] {
  return [
    event.at,
    event.action,
    event.migrationId,
    event.outcome,
    event.durationMs,
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

const MIGRATION_CASTS = ['', '', '', '', '', '', 'timestamptz', 'integer', '', ''];
const EVENT_CASTS = ['timestamptz', '', '', '', 'integer', '', '', '', '', '', '', '', 'jsonb'];

function upsertSql(tables: PostgresStateTables, values: string[]): string {
  const updates = MIGRATION_COLUMNS.slice(2)
    .map((column) => `${column} = EXCLUDED.${column}`)
    .join(', ');
  return (
    `INSERT INTO ${qualifiedName(tables.schema, tables.migrations)} (${MIGRATION_COLUMNS.join(', ')}) ` +
    `VALUES (${values.join(', ')}) ON CONFLICT (module, version) DO UPDATE SET ${updates}`
  );
}

/** A plain INSERT: an apply fails on the primary key when the migration already has a row. */
function insertSql(tables: PostgresStateTables, values: string[]): string {
  return `INSERT INTO ${qualifiedName(tables.schema, tables.migrations)} (${MIGRATION_COLUMNS.join(', ')}) VALUES (${values.join(', ')})`;
}

function deleteSql(tables: PostgresStateTables, module: string, version: string): string {
  return `DELETE FROM ${qualifiedName(tables.schema, tables.migrations)} WHERE module = ${module} AND version = ${version}`;
}

function insertEventSql(tables: PostgresStateTables, values: string[]): string {
  return `INSERT INTO ${qualifiedName(tables.schema, tables.events)} (${EVENT_COLUMNS.join(', ')}) VALUES (${values.join(', ')})`;
}

/**
 * Milliseconds since the transaction started (`now()` is the transaction's start): how core's
 * `-1` placeholder for the time of a script run in the same round trip is filled in.
 */
const ELAPSED_MS = '(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer';
const EXECUTION_MS_INDEX = MIGRATION_COLUMNS.indexOf('execution_ms');
const DURATION_MS_INDEX = EVENT_COLUMNS.indexOf('duration_ms');

/** The state writes as SQL with escaped literals, one statement each, for the one-round-trip path. */
export function buildStateWritesSql(tables: PostgresStateTables, writes: readonly StateWrite[]): string[] {
  return writes.map((write) => {
    switch (write.kind) {
      case 'insert':
      case 'upsert':
        return (write.kind === 'insert' ? insertSql : upsertSql)(
          tables,
          rowValues(write.row).map((value, i) =>
            i === EXECUTION_MS_INDEX && value === -1 ? ELAPSED_MS : literal(value, MIGRATION_CASTS[i]),
          ),
        );
      case 'delete':
        return deleteSql(tables, literal(write.module), literal(write.version));
      case 'event':
        return insertEventSql(
          tables,
          eventValues(write.event).map((value, i) =>
            i === DURATION_MS_INDEX && value === -1 ? ELAPSED_MS : literal(value, EVENT_CASTS[i]),
          ),
        );
    }
  });
}

/** Applies state writes one statement at a time with bound parameters. */
export async function writePostgresState(run: RunQuery, tables: PostgresStateTables, writes: readonly StateWrite[]): Promise<void> {
  const params = (count: number, casts: string[]) => Array.from({ length: count }, (_, i) => `$${i + 1}${casts[i] ? `::${casts[i]}` : ''}`);
  for (const write of writes) {
    switch (write.kind) {
      case 'insert':
      case 'upsert':
        await run(
          (write.kind === 'insert' ? insertSql : upsertSql)(tables, params(MIGRATION_COLUMNS.length, MIGRATION_CASTS)),
          rowValues(write.row),
        );
        break;
      case 'delete':
        await run(deleteSql(tables, '$1', '$2'), [write.module, write.version]);
        break;
      case 'event':
        await run(insertEventSql(tables, params(EVENT_COLUMNS.length, EVENT_CASTS)), eventValues(write.event));
        break;
    }
  }
}

/** The DDL of the state and events tables (without the schema). */
export function stateTablesDdl(tables: PostgresStateTables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(tables.schema, tables.migrations)} (
  module text NOT NULL,
  version text NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  checksum_algo text NOT NULL,
  status text NOT NULL CHECK (status IN ('applied', 'running', 'failed')),
  applied_at timestamptz NOT NULL,
  execution_ms integer NOT NULL,
  applied_by text NOT NULL,
  tool_version text NOT NULL,
  PRIMARY KEY (module, version)
)`,
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(tables.schema, tables.events)} (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  action text NOT NULL,
  migration_id text,
  outcome text NOT NULL,
  duration_ms integer,
  actor text NOT NULL,
  host text NOT NULL,
  tool_version text NOT NULL,
  backup_id text,
  error_code text,
  error_message text,
  sql_state text,
  details jsonb
)`,
  ];
}

/** Whether a table exists, by exact (case-sensitive) names. */
export async function tableExists(run: RunQuery, schema: string, table: string): Promise<boolean> {
  const rows = await run<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')) AS found`,
    [schema, table],
  );
  return rows[0]?.found === true;
}

/** Whether both state tables exist (in one round trip). */
export async function stateTablesExist(run: RunQuery, tables: PostgresStateTables): Promise<boolean> {
  const rows = await run<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS found', [
    qualifiedName(tables.schema, tables.migrations),
    qualifiedName(tables.schema, tables.events),
  ]);
  return rows[0]?.found === true;
}

/**
 * A SELECT-list fragment: whether both state tables exist (`tables_exist`) and whether their
 * schema does (`schema_exists`). `schemaSql` is an SQL expression: an escaped literal, or
 * `coalesce(current_schema(), 'public')` while the session does not know its schema yet.
 */
export function stateTablesFactsSql(schemaSql: string, table: string, eventsTable: string): string {
  const name = (t: string) =>
    `pg_catalog.to_regclass(pg_catalog.quote_ident(${schemaSql}) || '.' || ${escapePostgresLiteral(quoteIdentifier(t))})`;
  return (
    `${name(table)} IS NOT NULL AND ${name(eventsTable)} IS NOT NULL AS tables_exist, ` +
    `EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${schemaSql}) AS schema_exists`
  );
}

export async function schemaExists(run: RunQuery, schema: string): Promise<boolean> {
  const rows = await run<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS found', [schema]);
  return rows[0]?.found === true;
}

/**
 * `applied_at` as ISO 8601 text made by the server: pg would parse a thousand timestamps into
 * Dates only for them to be formatted back.
 */
const ISO_APPLIED_AT = `to_char(m.applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

function iso(value: unknown): string {
  if (typeof value === 'string' && value.endsWith('Z') && value.length === 24) return value;
  if (value instanceof Date) return value.toISOString();
  return new Date(String(value)).toISOString();
}

const STATE_FROM = (tables: PostgresStateTables) =>
  `FROM ${qualifiedName(tables.schema, tables.migrations)} m ORDER BY m.module, m.applied_at, m.version`;

/** The unit separator (U+001F) between the fields of a packed state row. */
const FIELD_SEPARATOR = '\u001f';

/**
 * The state read: every row, oldest first per module (sorted on the stored timestamp, not on its
 * text), each row packed by the server into one text of the ten columns separated by U+001F.
 * One field per row instead of ten makes pg's row decoding about three times cheaper (a thousand
 * rows: ~1.5 ms of client CPU instead of ~5 ms). Every column is NOT NULL; a row whose text does
 * not split into exactly ten fields (a value holding U+001F) makes {@link unpackStateRows} give
 * up, and the caller reads the columns one by one instead ({@link stateColumnsSql}).
 */
export function stateSelectSql(tables: PostgresStateTables): string {
  const fields = MIGRATION_COLUMNS.map((column) => (column === 'applied_at' ? ISO_APPLIED_AT : `m.${column}`)).join(` || E'\\x1f' || `);
  return `SELECT ${fields} AS s ${STATE_FROM(tables)}`;
}

/** The same read as {@link stateSelectSql}, one column per field. */
export function stateColumnsSql(tables: PostgresStateTables): string {
  return `SELECT ${MIGRATION_COLUMNS.map((column) => (column === 'applied_at' ? `${ISO_APPLIED_AT} AS applied_at` : `m.${column}`)).join(', ')} ${STATE_FROM(tables)}`;
}

/** Rows of {@link stateSelectSql} as StateRows; undefined when one does not unpack into ten fields. */
export function unpackStateRows(rows: readonly Record<string, unknown>[]): StateRow[] | undefined {
  const out: StateRow[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const packed = rows[i]!.s;
    if (typeof packed !== 'string') return undefined;
    const f = packed.split(FIELD_SEPARATOR);
    if (f.length !== MIGRATION_COLUMNS.length) return undefined;
    out[i] = {
      module: f[0]!,
      version: f[1]!,
      name: f[2]!,
      checksum: f[3]!,
      checksumAlgo: f[4]!,
      status: f[5] as StateRow['status'],
      appliedAt: iso(f[6]),
      executionMs: Number(f[7]),
      appliedBy: f[8]!,
      toolVersion: f[9]!,
    };
  }
  return out;
}

/** Rows of {@link stateColumnsSql} as StateRows. */
export function columnsToStateRows(rows: readonly Record<string, unknown>[]): StateRow[] {
  return rows.map((row) => ({
    module: String(row.module),
    version: String(row.version),
    name: String(row.name),
    checksum: String(row.checksum),
    checksumAlgo: String(row.checksum_algo),
    status: row.status as StateRow['status'],
    appliedAt: iso(row.applied_at),
    executionMs: Number(row.execution_ms),
    appliedBy: String(row.applied_by),
    toolVersion: String(row.tool_version),
  }));
}

/** Reads the state table, packed rows first ({@link stateSelectSql}), else column by column. */
export async function readStateRows(run: RunQuery, tables: PostgresStateTables): Promise<StateRow[]> {
  return (
    unpackStateRows(await run<Record<string, unknown>>(stateSelectSql(tables))) ?? columnsToStateRows(await run(stateColumnsSql(tables)))
  );
}

/** Reads the state table; `[]` when it does not exist. */
export async function readPostgresState(run: RunQuery, tables: PostgresStateTables): Promise<StateRow[]> {
  if (!(await tableExists(run, tables.schema, tables.migrations))) return [];
  return readStateRows(run, tables);
}

/** Reads events newest first; `[]` when the table does not exist. */
export async function readPostgresEvents(run: RunQuery, tables: PostgresStateTables, query: EventQuery): Promise<EventRecord[]> {
  if (!(await tableExists(run, tables.schema, tables.events))) return [];
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.migrationId !== undefined) {
    params.push(query.migrationId);
    where.push(`migration_id = $${params.length}`);
  }
  if (query.module !== undefined) {
    params.push(`${query.module}@`);
    where.push(`left(migration_id, length($${params.length})) = $${params.length}`);
  }
  params.push(Math.max(0, Math.trunc(query.limit ?? 100)));
  const rows = await run<Record<string, unknown>>(
    `SELECT id, ${EVENT_COLUMNS.join(', ')} FROM ${qualifiedName(tables.schema, tables.events)}` +
      `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return rows.map((row) => ({
    id: Number(row.id),
    at: iso(row.at),
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
    details: (row.details ?? null) as Record<string, unknown> | null,
  }));
}
