import { type LintStatement, skipTrivia, statementsFromSpans } from './lint-statement.js';

type LibPgQuery = typeof import('libpg-query');

let parserLoading: Promise<LibPgQuery> | undefined;
let parserLoaded = false;

/**
 * Loads libpg-query (the PostgreSQL parser compiled to WASM) once, on first use, exactly as
 * `@strata/dialect-postgres` does: linting SQLite, or not linting, never pays for it.
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

interface RawStatement {
  stmt: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

/**
 * Splits and parses a PostgreSQL script with one parser call. When the parser rejects the script,
 * it is split on the scanner's top-level `;` and each statement is parsed alone, so one bad
 * statement does not hide the findings of the others.
 */
export async function parsePostgresScript(script: string): Promise<LintStatement[]> {
  const parser = await loadPostgresParser();
  try {
    const result = parser.parseSync(script) as { stmts?: RawStatement[] };
    const bytes = createByteToIndex(script);
    const total = Buffer.byteLength(script, 'utf8');
    const spans = (result.stmts ?? []).map((raw) => {
      const from = raw.stmt_location ?? 0;
      return { from: bytes(from), to: bytes(raw.stmt_len ? from + raw.stmt_len : total), tree: raw.stmt };
    });
    return statementsFromSpans(script, spans);
  } catch {
    const statements = statementsFromSpans(script, splitWithScanner(parser, script));
    for (const statement of statements) {
      try {
        const tree = (parser.parseSync(statement.text) as { stmts?: RawStatement[] }).stmts?.[0]?.stmt;
        if (tree) statement.tree = tree;
      } catch (error) {
        statement.parseError = (error as Error).message;
      }
    }
    return statements;
  }
}

const SEPARATOR = '\n;\n';

/**
 * Parses many scripts with one parser call (each call costs about as much again as the parsing
 * itself): the scripts are joined with `;` lines and the statements handed back to the script they
 * start in (the `location` fields inside the trees are offsets in the joined text: rules use the
 * statement's own `start`). When the joined text does not parse (a syntax error, an unterminated quote in one
 * script), each script is parsed alone, as {@link parsePostgresScript} does.
 */
export async function parsePostgresScripts(scripts: readonly string[]): Promise<LintStatement[][]> {
  if (scripts.length <= 1) return Promise.all(scripts.map(parsePostgresScript));
  const parser = await loadPostgresParser();
  const joined = scripts.join(SEPARATOR);
  let result: { stmts?: RawStatement[] };
  try {
    result = parser.parseSync(joined) as { stmts?: RawStatement[] };
  } catch {
    const each: LintStatement[][] = [];
    for (const script of scripts) each.push(await parsePostgresScript(script));
    return each;
  }
  const starts: number[] = [];
  let offset = 0;
  for (const script of scripts) {
    starts.push(offset);
    offset += script.length + SEPARATOR.length;
  }
  const bytes = createByteToIndex(joined);
  const total = Buffer.byteLength(joined, 'utf8');
  const spans: { from: number; to: number; tree: Record<string, unknown> }[][] = scripts.map(() => []);
  let k = 0;
  for (const raw of result.stmts ?? []) {
    const fromByte = raw.stmt_location ?? 0;
    const from = bytes(fromByte);
    const to = bytes(raw.stmt_len ? fromByte + raw.stmt_len : total);
    const start = skipTrivia(joined, from, to);
    while (k + 1 < scripts.length && start >= starts[k + 1]!) k += 1;
    const base = starts[k]!;
    spans[k]!.push({ from: Math.max(from, base) - base, to: Math.min(to, base + scripts[k]!.length) - base, tree: raw.stmt });
  }
  return scripts.map((script, index) => statementsFromSpans(script, spans[index]!));
}

/** Top-level `;` positions from the scanner (strings, dollar quotes and comments understood). */
function splitWithScanner(parser: LibPgQuery, script: string): { from: number; to: number }[] {
  let tokens: { start: number; end: number; text: string }[];
  try {
    tokens = parser.scanSync(script).tokens;
  } catch {
    return [{ from: 0, to: script.length }];
  }
  const bytes = createByteToIndex(script);
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
      spans.push({ from, to: bytes(token.start) });
      from = bytes(token.end);
    }
    previous = word;
  }
  spans.push({ from, to: script.length });
  return spans;
}

/** UTF-8 byte offsets (what libpg-query reports) to string indices, asked in increasing order. */
function createByteToIndex(script: string): (byteOffset: number) => number {
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
