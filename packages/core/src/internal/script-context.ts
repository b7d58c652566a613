import type { DialectSession } from '../dialect.js';
import { isStrataError, StrataError, toStrataError } from '../errors.js';
import type { MigrationContext } from '../migration.js';

/** The last path segment of a migration's file, as stack frames show it. */
function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/** The line of the first stack frame in `fileName` (`…/1.2.0_seed.ts:14:11`), if any. */
export function lineInStack(stack: string | undefined, fileName: string): number | undefined {
  if (!stack) return undefined;
  for (const frame of stack.split('\n')) {
    const at = frame.indexOf(`${fileName}:`);
    if (at === -1) continue;
    const before = frame[at - 1];
    if (before !== undefined && before !== '/' && before !== '\\' && before !== '(' && before !== ' ') continue;
    const match = /^:(\d+):\d+/.exec(frame.slice(at + fileName.length));
    if (match) return Number(match[1]);
  }
  return undefined;
}

/**
 * The context a script migration's `up`/`down` gets. Each `execute`/`query` call remembers where
 * it was called from (a stack captured at the call, ~µs): when it fails, the error points at that
 * line of the migration file, not at "statement 1, line 1" of the SQL text it was given.
 */
export function createScriptContext(dialect: string, session: DialectSession, file: string | undefined): MigrationContext {
  const fileName = file ? baseName(file) : undefined;
  const call = async <T>(kind: 'execute' | 'query', run: () => Promise<T>): Promise<T> => {
    const site = fileName ? new Error() : undefined;
    try {
      return await run();
    } catch (error) {
      const line = fileName ? lineInStack(site?.stack, fileName) : undefined;
      if (line === undefined) throw error;
      const failure = toStrataError(error, 'STRATA_SQL_ERROR');
      throw new StrataError(failure.code, failure.message, {
        ...(failure.hint ? { hint: failure.hint } : {}),
        cause: isStrataError(error) ? (failure.cause ?? failure) : error,
        details: { ...failure.details, callSite: kind, callLine: line },
      });
    }
  };
  return {
    dialect,
    query: (sql, params) => call('query', () => session.query(sql, params)),
    execute: (sql) => call('execute', () => session.execute(sql)),
  };
}

/** For an error thrown by a script migration's own code: the line of the file it was thrown from. */
export function thrownFromLine(error: unknown, file: string | undefined): number | undefined {
  if (!file || isStrataError(error) || !(error instanceof Error)) return undefined;
  return lineInStack(error.stack, baseName(file));
}
