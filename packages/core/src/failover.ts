import type { CompositeDialect, Dialect, DialectSelection } from './dialect.js';
import { isStrataError, redactSecrets } from './errors.js';

/** Options for {@link createFailoverDialect}. */
export interface FailoverDialectOptions {
  primary: Dialect;
  fallback: Dialect;
  /**
   * How long to try the primary before using the fallback, in milliseconds.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /** Told each time the fallback is chosen (for logs). */
  onFailover?: (reason: string) => void;
}

/** @default 5 s */
export const DEFAULT_FAILOVER_CONNECT_TIMEOUT_MS = 5000;

/**
 * A dialect that uses `primary` and, when the primary cannot be reached in time, `fallback`
 * (PostgreSQL primary, SQLite fallback). The choice is made once per operation: a primary lost in
 * the middle of a run fails the run cleanly instead of continuing on the fallback, which would
 * split the history. Each target keeps its own state tables.
 * @example
 * const dialect = createFailoverDialect({
 *   primary: createPostgresDialect({ connectionString: process.env.DATABASE_URL }),
 *   fallback: createSqliteDialect({ filename: './fallback.db' }),
 * });
 */
export function createFailoverDialect(options: FailoverDialectOptions): CompositeDialect {
  const { primary, fallback } = options;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_FAILOVER_CONNECT_TIMEOUT_MS;

  const select = async (selectOptions: { signal?: AbortSignal } = {}): Promise<DialectSelection> => {
    const failover = { primary: primary.target, fallback: fallback.target };
    const reason = await probe(primary, timeoutMs, selectOptions.signal);
    if (reason === undefined) return { dialect: primary, failover: { used: false, ...failover } };
    options.onFailover?.(reason);
    return { dialect: fallback, failover: { used: true, ...failover, reason } };
  };

  return {
    name: primary.name,
    capabilities: primary.capabilities ?? {},
    target: `${primary.target} (fallback ${fallback.target})`,
    select,
    async connect(connectOptions) {
      const { dialect } = await select(connectOptions.signal ? { signal: connectOptions.signal } : {});
      return dialect.connect(connectOptions);
    },
    splitStatements: (script) => primary.splitStatements(script),
    findNonTransactional: (script) => primary.findNonTransactional(script),
    async destroy() {
      await Promise.all([primary.destroy?.(), fallback.destroy?.()]);
    },
    redact(text) {
      const once = primary.redact ? primary.redact(text) : text;
      return fallback.redact ? fallback.redact(once) : once;
    },
  };
}

/** Tries the primary; returns why it cannot be used, or undefined when it can. */
async function probe(primary: Dialect, timeoutMs: number, signal: AbortSignal | undefined): Promise<string | undefined> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const attempt = primary.connect({ purpose: 'read', lockTimeoutMs: timeoutMs, signal: controller.signal });
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([attempt, timeout]);
    if (outcome === 'timeout') {
      controller.abort(new Error('failover connect timeout'));
      // Close the session if it arrives late.
      void attempt.then((session) => session.close()).catch(() => {});
      return `the primary did not answer within ${timeoutMs} ms`;
    }
    await outcome.close();
    return undefined;
  } catch (error) {
    if (signal?.aborted) throw error;
    if (isStrataError(error) && error.code !== 'STRATA_CONNECTION_FAILED') throw error;
    const message = error instanceof Error ? error.message : String(error);
    return `the primary cannot be reached: ${redactSecrets(message)}`;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** True when `dialect` is a failover dialect (it selects a target per operation). */
export function isCompositeDialect(dialect: Dialect): dialect is CompositeDialect {
  return typeof (dialect as Partial<CompositeDialect>).select === 'function';
}
