import { isStrataError, redactSecrets, StrataError, type StrataErrorDetails } from './errors.js';

/*
 * The backup contract: what a dialect hands out through `Dialect.backupProvider` so that strata
 * (the CLI, `@strata/backup`'s manager) can back up, verify and restore its databases without
 * knowing which engine they are. Built-in dialects and third-party ones implement the same
 * interface; `@strata/backup` owns everything around the copy (files, manifests, retention).
 */

/** Progress of a backup or restore, for spinners. `total` is unknown for some tools. */
export interface BackupProgress {
  stage: 'prepare' | 'copy' | 'hash' | 'verify' | 'restore';
  /** Units done so far (pages for SQLite, bytes for pg_dump). */
  done?: number;
  total?: number;
  unit?: 'pages' | 'bytes';
}

/** What {@link BackupProvider.measure} found. */
export interface TargetMeasure {
  /** Size of what a backup would copy, in bytes (file size; `pg_database_size` or the covered schemas' relations). */
  bytes: number;
  /** True when the database holds no user object (strata's own tables aside): nothing to back up. */
  empty: boolean;
}

/** Options for {@link BackupProvider.create}. */
export interface ProviderCreateOptions {
  /** Abort: the provider stops its tool or copy and throws; the manager removes the temp file. */
  signal?: AbortSignal;
  onProgress?: (progress: BackupProgress) => void;
}

/**
 * What {@link BackupProvider.create} may return when it hashed the backup while writing it: the
 * manager then records this digest instead of reading the file back (it still checks the size
 * on disk). Return nothing to let the manager hash the file.
 */
export interface ProviderCreateResult {
  /** SHA-256 (hex) of exactly the bytes written into the temp file, first to last: `sha256sum` of it. */
  sha256: string;
  /** How many bytes were written: the file's size. */
  size: number;
}

/** What {@link BackupProvider.verify} found. */
export interface ProviderVerifyResult {
  ok: boolean;
  /** One line: `integrity_check ok`, `pg_restore --list: 42 entries`, or the reason it failed. */
  detail: string;
}

/** Options for {@link BackupProvider.restore}. */
export interface ProviderRestoreOptions {
  /**
   * Restore into a NEW target instead of the live database: a file path (SQLite) or a database
   * name (PostgreSQL). The provider refuses an existing target.
   */
  into?: string;
  signal?: AbortSignal;
  /** How long the restore waits for locks held by other sessions (PostgreSQL). @default 60000 */
  lockTimeoutMs?: number;
}

/** What {@link BackupProvider.restore} did. */
export interface ProviderRestoreResult {
  /** The database written, described without any password. */
  target: string;
}

/**
 * How one kind of database is backed up: a plain object from a factory, like a dialect. The
 * manager owns everything around it (directory, temp names, hashing, rename, manifest,
 * retention); a provider only copies the database into a path it is given, checks a copy, and
 * restores one.
 * @example
 * const provider: BackupProvider = {
 *   dialect: 'mysql',
 *   database: 'mysql://app@db/prod',
 *   extension: 'sql',
 *   async create(tempPath, { signal }) { await run('mysqldump', ['--result-file', tempPath, …], { signal }); },
 *   async verify(path) { return { ok: true, detail: 'readable' }; },
 *   async restore(path, { into }) { …; return { target: into ?? 'mysql://app@db/prod' }; },
 * };
 */
export interface BackupProvider {
  /** Dialect name stored in the manifest; restore refuses a backup of another dialect. */
  readonly dialect: string;
  /** The source database for people and manifests, with any password redacted. */
  readonly database: string;
  /**
   * The canonical identity of the target, secret-free and stable across spellings of the same
   * database: `sqlite:<real path of the file>`; `postgres://<host>:<port>/<database>` (host
   * lower-cased, default port filled in, no user) with `?schemas=a,b` (sorted) when only some
   * schemas are covered. Backups are listed, pruned and restored per identity.
   * @default {@link BackupProvider.database}
   */
  readonly identity?: string;
  /**
   * Optional: how big the target is and whether it holds anything yet, for the pre-run decision
   * (skip an empty database; skip or refuse one bigger than the limit or the free space).
   * `ignoreTables` are strata's own state and events tables, which do not count as content.
   */
  measure?(options: { ignoreTables?: readonly string[]; signal?: AbortSignal }): Promise<TargetMeasure>;
  /** File extension of the backup, without the dot (`sqlite`, `dump`). */
  readonly extension: string;
  /**
   * Optional pre-flight, called before any file is created: tools present, versions compatible,
   * database reachable. Throws `STRATA_BACKUP_FAILED` with a hint.
   */
  check?(options: { signal?: AbortSignal }): Promise<void>;
  /**
   * Optional, cheap and synchronous: why backups cannot be taken here at all (a tool such as
   * `pg_dump` is not installed), or `undefined` when they can. Before a run the CLI then skips the
   * backup and says this reason, or fails with `STRATA_BACKUP_FAILED` and the hint when the
   * config requires a backup (`backup.enabled: true`). `tool` names the missing tool (a key of
   * {@link BackupProviderOptions.toolPaths}), so the caller can name its own setting for it.
   * Touches no database.
   */
  unavailable?(): { reason: string; hint: string; tool?: string } | undefined;
  /**
   * Writes a consistent backup into `tempPath`: an empty file the manager has already created
   * (exclusive create, mode 0600) in the backup directory. The provider must write into that
   * path (never replace it) and must not leave other files behind. Throws on any failure; the
   * manager then removes the temp file. May return the SHA-256 and size of what it wrote
   * ({@link ProviderCreateResult}) so the manager need not read the file back.
   */
  create(tempPath: string, options: ProviderCreateOptions): Promise<void | ProviderCreateResult>;
  /** Checks that the file at `path` is a readable, complete backup. Never modifies it. */
  verify(path: string, options?: { signal?: AbortSignal }): Promise<ProviderVerifyResult>;
  /**
   * Restores the backup at `path` (already hash-verified by the manager) into the live database,
   * or into a new target given as `into`. The application should be stopped while the live
   * database is restored.
   */
  restore(path: string, options: ProviderRestoreOptions): Promise<ProviderRestoreResult>;
}

/**
 * Options strata gives {@link Dialect.backupProvider}. Everything is optional: a provider works
 * with none of them.
 */
export interface BackupProviderOptions {
  /**
   * Paths of the external tools the provider runs, by tool name, from the user's config
   * (`{ pg_dump: '/usr/lib/postgresql/16/bin/pg_dump' }`). A provider ignores the names it does
   * not use and finds the others on PATH.
   */
  readonly toolPaths?: Readonly<Record<string, string>>;
}

/**
 * A `STRATA_BACKUP_FAILED` error whose message, hint, details and cause are all redacted: the
 * cause is replaced by a plain Error carrying the redacted message (and errno code), so that
 * printing the error with `util.inspect` can never reveal a secret held by a driver error. For
 * providers: every failure of a backup, verify or restore is thrown as one of these.
 */
export function backupError(
  message: string,
  options: { hint?: string; cause?: unknown; details?: StrataErrorDetails; secrets?: readonly string[] } = {},
): StrataError {
  const secrets = options.secrets ?? [];
  const details: StrataErrorDetails = {};
  for (const [key, value] of Object.entries(options.details ?? {})) {
    details[key] = typeof value === 'string' ? redactSecrets(value, secrets) : value;
  }
  return new StrataError('STRATA_BACKUP_FAILED', redactSecrets(message, secrets), {
    ...(options.hint ? { hint: redactSecrets(options.hint, secrets) } : {}),
    ...(options.cause === undefined ? {} : { cause: sanitizeCause(options.cause, secrets) }),
    details,
  });
}

/** A backup or restore stopped by an abort signal: the CLI maps it to exit 130/143 like a signal. */
export function backupInterruptedError(what: string): StrataError {
  return new StrataError('STRATA_INTERRUPTED', `${what} was interrupted`, {
    hint: 'Nothing was kept: the partial backup was removed. Run the command again',
  });
}

/** The message of anything thrown, redacted. */
export function describeBackupError(error: unknown, secrets: readonly string[] = []): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactSecrets(message, secrets);
}

function sanitizeCause(cause: unknown, secrets: readonly string[]): unknown {
  if (isStrataError(cause)) return cause;
  const copy = new Error(describeBackupError(cause, secrets));
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  return copy;
}
