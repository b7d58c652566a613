import type { SqlStatement } from '@strata/core';

type LibPgQuery = typeof import('libpg-query');

let parserLoading: Promise<LibPgQuery> | undefined;
let parserLoaded = false;

/**
 * Loads libpg-query (the PostgreSQL parser compiled to WASM) once, on first use, so commands that
 * never split SQL (status, history) and scripts that obviously need no parsing never pay for it.
 */
export function loadPostgresParser(): Promise<LibPgQuery> {
  parserLoading ??= import('libpg-query').then(async (parser) => {
    await parser.loadModule();
    parserLoaded = true;
    return parser;
  });
  return parserLoading;
}

/** Whether the WASM parser has been loaded in this process (for tests and `--verbose`). */
export function isPostgresParserLoaded(): boolean {
  return parserLoaded;
}

/** A statement with its place in the script as JavaScript string indices. */
export interface LocatedStatement extends SqlStatement {
  /** Index in the script where the statement's span begins (may include leading comments). */
  spanStart: number;
  /** Index in the script where its text begins. */
  start: number;
  /** Index just after its text (before the `;`). */
  end: number;
  /** The parse tree of the statement, when the parser accepted it. */
  tree?: Record<string, unknown>;
}

/**
 * Cheap test for words that a statement which cannot run in a transaction must contain. Scripts
 * that do not match cannot hold one, so {@link findPostgresNonTransactional} skips the parser.
 * False positives (a comment, `CASE … END`) only cost a parse.
 */
const NON_TRANSACTIONAL_HINT =
  /\b(?:concurrently|vacuum|database|system|tablespace|begin|start|commit|end|rollback|abort|savepoint|release|prepare|prepared|subscription|discard|cluster)\b/i;

/**
 * Splits a PostgreSQL script into statements with the real parser: dollar-quoted bodies, nested
 * block comments, `E''` strings and `BEGIN ATOMIC … END` bodies are handled as the server does.
 * A script the parser rejects is split on the scanner's top-level `;` tokens instead (the server
 * will report the syntax error when the statement runs).
 * @example
 * await splitPostgresStatements('CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);');
 * // [{ index: 1, line: 1, text: 'CREATE TABLE t (a int)' }, { index: 2, line: 2, text: 'INSERT …' }]
 */
export async function splitPostgresStatements(script: string): Promise<SqlStatement[]> {
  return (await locatePostgresStatements(script)).map(({ index, line, text, nonTransactional }) =>
    nonTransactional === undefined ? { index, line, text } : { index, line, text, nonTransactional },
  );
}

/**
 * The statements of `script` that cannot run inside a transaction block, each with the reason in
 * `nonTransactional`. Scripts without a telltale keyword return `[]` without loading the parser.
 */
export async function findPostgresNonTransactional(script: string): Promise<SqlStatement[]> {
  if (!NON_TRANSACTIONAL_HINT.test(script)) return [];
  return (await splitPostgresStatements(script)).filter((statement) => statement.nonTransactional !== undefined);
}

/** Splits with positions and parse trees; used by the session to map errors back to the script. */
export async function locatePostgresStatements(script: string): Promise<LocatedStatement[]> {
  const parser = await loadPostgresParser();
  const bytes = createByteToIndex(script);
  let spans: { from: number; to: number; tree?: Record<string, unknown> }[];
  try {
    const result = parser.parseSync(script) as { stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
    const totalBytes = Buffer.byteLength(script, 'utf8');
    spans = (result.stmts ?? []).map((raw) => {
      const fromByte = raw.stmt_location ?? 0;
      const toByte = raw.stmt_len ? fromByte + raw.stmt_len : totalBytes;
      return { from: bytes(fromByte), to: bytes(toByte), tree: raw.stmt };
    });
  } catch {
    spans = splitWithScanner(parser, script, bytes);
  }
  const lines = createLineIndex(script);
  const statements: LocatedStatement[] = [];
  for (const span of spans) {
    const start = skipTrivia(script, span.from, span.to);
    const end = trimEnd(script, start, span.to);
    if (end <= start) continue;
    const text = script.slice(start, end);
    let tree = span.tree;
    if (!tree) {
      try {
        tree = (parser.parseSync(text) as { stmts?: { stmt: Record<string, unknown> }[] }).stmts?.[0]?.stmt;
      } catch {
        tree = undefined;
      }
    }
    const reason = tree ? nonTransactionalReason(tree) : undefined;
    statements.push({
      index: statements.length + 1,
      line: lines(start),
      text,
      spanStart: span.from,
      start,
      end,
      ...(tree ? { tree } : {}),
      ...(reason ? { nonTransactional: reason } : {}),
    });
  }
  return statements;
}

/** Why a parsed statement cannot run inside a transaction block, or undefined. */
export function nonTransactionalReason(tree: Record<string, unknown>): string | undefined {
  const [kind] = Object.keys(tree);
  const node = (kind ? tree[kind] : undefined) as Record<string, unknown> | undefined;
  if (!kind || !node) return undefined;
  switch (kind) {
    case 'IndexStmt':
      return node.concurrent ? 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block' : undefined;
    case 'DropStmt':
      return node.concurrent ? 'DROP INDEX CONCURRENTLY cannot run inside a transaction block' : undefined;
    case 'ReindexStmt':
      return hasConcurrentlyOption(node.params)
        ? 'REINDEX … CONCURRENTLY cannot run inside a transaction block'
        : node.kind === 'REINDEX_OBJECT_SYSTEM' || node.kind === 'REINDEX_OBJECT_DATABASE'
          ? 'REINDEX SYSTEM/DATABASE cannot run inside a transaction block'
          : undefined;
    case 'VacuumStmt':
      // `ANALYZE` alone is allowed in a transaction; `VACUUM` is not.
      return node.is_vacuumcmd ? 'VACUUM cannot run inside a transaction block' : undefined;
    case 'CreatedbStmt':
      return 'CREATE DATABASE cannot run inside a transaction block';
    case 'DropdbStmt':
      return 'DROP DATABASE cannot run inside a transaction block';
    case 'AlterSystemStmt':
      return 'ALTER SYSTEM cannot run inside a transaction block';
    case 'CreateTableSpaceStmt':
      return 'CREATE TABLESPACE cannot run inside a transaction block';
    case 'DropTableSpaceStmt':
      return 'DROP TABLESPACE cannot run inside a transaction block';
    case 'TransactionStmt':
      return `${transactionKeyword(node.kind)} in a migration: strata opens and ends the transaction itself`;
    case 'AlterTableStmt':
      return Array.isArray(node.cmds) &&
        node.cmds.some((cmd) => {
          const command = (cmd as { AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { concurrent?: boolean } } } })
            .AlterTableCmd;
          return command?.subtype === 'AT_DetachPartition' && command.def?.PartitionCmd?.concurrent === true;
        })
        ? 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY cannot run inside a transaction block'
        : undefined;
    case 'CreateSubscriptionStmt':
      // create_slot defaults to true; connect = false turns it off.
      return optionIsOn(node.options, 'create_slot', true) && optionIsOn(node.options, 'connect', true)
        ? 'CREATE SUBSCRIPTION (creating a replication slot) cannot run inside a transaction block'
        : undefined;
    case 'AlterSubscriptionStmt':
      if (node.kind === 'ALTER_SUBSCRIPTION_REFRESH')
        return 'ALTER SUBSCRIPTION … REFRESH PUBLICATION cannot run inside a transaction block';
      return ['ALTER_SUBSCRIPTION_SET_PUBLICATION', 'ALTER_SUBSCRIPTION_ADD_PUBLICATION', 'ALTER_SUBSCRIPTION_DROP_PUBLICATION'].includes(
        String(node.kind),
      ) && optionIsOn(node.options, 'refresh', true)
        ? 'ALTER SUBSCRIPTION … PUBLICATION with refresh cannot run inside a transaction block'
        : undefined;
    case 'DiscardStmt':
      return node.target === 'DISCARD_ALL' ? 'DISCARD ALL cannot run inside a transaction block' : undefined;
    case 'ClusterStmt':
      return node.relation ? undefined : 'CLUSTER without a table cannot run inside a transaction block';
    case 'AlterDatabaseStmt':
      return Array.isArray(node.options) &&
        node.options.some((option) => (option as { DefElem?: { defname?: string } }).DefElem?.defname === 'tablespace')
        ? 'ALTER DATABASE … SET TABLESPACE cannot run inside a transaction block'
        : undefined;
    default:
      return undefined;
  }
}

/** Whether a boolean `WITH (name = …)` option is on, `fallback` when it is not given. */
function optionIsOn(options: unknown, name: string, fallback: boolean): boolean {
  if (!Array.isArray(options)) return fallback;
  const element = options
    .map((option) => (option as { DefElem?: { defname?: string; arg?: Record<string, Record<string, unknown>> } }).DefElem)
    .find((candidate) => candidate?.defname === name);
  if (!element) return fallback;
  const arg = element.arg;
  if (!arg) return true;
  if (arg.String) return !['false', 'off', 'no', '0'].includes(String(arg.String.sval).toLowerCase());
  if (arg.Integer) return Boolean(arg.Integer.ival);
  if (arg.Boolean) return Boolean(arg.Boolean.boolval);
  return true;
}

function hasConcurrentlyOption(params: unknown): boolean {
  if (!Array.isArray(params)) return false;
  return params.some((param) => {
    const element = (param as { DefElem?: { defname?: string; arg?: Record<string, Record<string, unknown>> } }).DefElem;
    if (element?.defname !== 'concurrently') return false;
    const arg = element.arg;
    if (!arg) return true;
    if (arg.String) return !['false', 'off', 'no', '0'].includes(String(arg.String.sval).toLowerCase());
    if (arg.Integer) return Boolean(arg.Integer.ival);
    if (arg.Boolean) return Boolean(arg.Boolean.boolval);
    return true;
  });
}

function transactionKeyword(kind: unknown): string {
  const names: Record<string, string> = {
    TRANS_STMT_BEGIN: 'BEGIN',
    TRANS_STMT_START: 'START TRANSACTION',
    TRANS_STMT_COMMIT: 'COMMIT',
    TRANS_STMT_ROLLBACK: 'ROLLBACK',
    TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
    TRANS_STMT_RELEASE: 'RELEASE SAVEPOINT',
    TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT',
    TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
    TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
    TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
  };
  return names[String(kind)] ?? 'A transaction statement';
}

/**
 * Fallback splitter for scripts the parser rejects: the scanner still knows strings, dollar
 * quotes and comments, and `BEGIN ATOMIC … END` is tracked (with `CASE … END` inside it) the way
 * psql does.
 */
function splitWithScanner(parser: LibPgQuery, script: string, bytes: (offset: number) => number) {
  let tokens: { start: number; end: number; text: string }[];
  try {
    tokens = parser.scanSync(script).tokens;
  } catch {
    // Unterminated quote or comment: one statement, the server reports the error.
    return [{ from: 0, to: script.length }];
  }
  const spans: { from: number; to: number }[] = [];
  let from = 0;
  let depth = 0;
  let previous = '';
  for (const token of tokens) {
    const word = token.text.toLowerCase();
    if (word === 'atomic' && previous === 'begin') depth += 1;
    else if (depth > 0 && word === 'case') depth += 1;
    else if (depth > 0 && word === 'end') depth -= 1;
    else if (word === ';' && depth === 0) {
      const to = bytes(token.start);
      spans.push({ from, to });
      from = bytes(token.end);
    }
    previous = word;
  }
  spans.push({ from, to: script.length });
  return spans;
}

/**
 * Converts UTF-8 byte offsets (what libpg-query reports) to JavaScript string indices. Offsets
 * must be asked for in non-decreasing order most of the time; going back restarts the walk.
 */
export function createByteToIndex(script: string): (byteOffset: number) => number {
  let index = 0;
  let bytes = 0;
  return (target) => {
    if (target < bytes) {
      index = 0;
      bytes = 0;
    }
    while (bytes < target && index < script.length) {
      const code = script.codePointAt(index)!;
      bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      index += code >= 0x10000 ? 2 : 1;
    }
    return index;
  };
}

/**
 * Converts a 1-based character position as PostgreSQL reports it (`error.position` counts
 * characters, i.e. code points) to a 0-based JavaScript string index.
 */
export function characterPositionToIndex(script: string, position: number): number {
  let index = 0;
  for (let counted = 1; counted < position && index < script.length; counted += 1) {
    index += script.codePointAt(index)! >= 0x10000 ? 2 : 1;
  }
  return index;
}

/** 1-based line number of a string index, computed with a sorted table of line starts. */
export function createLineIndex(script: string): (index: number) => number {
  const starts = [0];
  for (let i = script.indexOf('\n'); i >= 0; i = script.indexOf('\n', i + 1)) starts.push(i + 1);
  return (index) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}

/** Skips whitespace, `--` comments and (nested) block comments from `from`, not past `to`. */
function skipTrivia(script: string, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const char = script[i]!;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '-' && script[i + 1] === '-') {
      const newline = script.indexOf('\n', i);
      i = newline < 0 || newline > to ? to : newline + 1;
    } else if (char === '/' && script[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < to && depth > 0) {
        if (script[i] === '/' && script[i + 1] === '*') {
          depth += 1;
          i += 2;
        } else if (script[i] === '*' && script[i + 1] === '/') {
          depth -= 1;
          i += 2;
        } else {
          i += 1;
        }
      }
    } else {
      break;
    }
  }
  return Math.min(i, to);
}

function trimEnd(script: string, start: number, end: number): number {
  let i = end;
  while (i > start && /\s/.test(script[i - 1]!)) i -= 1;
  return i;
}
