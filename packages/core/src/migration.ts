import { StrataError } from './errors.js';
import { parseVersion, type Version } from './version.js';

/** Module names: a lower-case letter, then up to 62 of `[a-z0-9_-]`. */
export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** The module a migrations folder belongs to when nothing else is said. */
export const DEFAULT_MODULE = 'app';

/** What a migration's `up`/`down` function receives. */
export interface MigrationContext {
  /** The dialect's name (`postgres`, `sqlite`, …): branch on it for dialect-specific code. */
  readonly dialect: string;
  /** Runs one statement with bound parameters and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of one or more statements without parameters. */
  execute(sql: string): Promise<void>;
}

/** A body that runs: SQL text, or a function of the context. */
export type MigrationBody = string | ((context: MigrationContext) => Promise<void> | void);

/** A migration body per dialect name, with `default` for all others. */
export type DialectBodies = { readonly [dialect: string]: MigrationBody | undefined };

/** Input of {@link defineMigration}: what a migration author writes. */
export interface MigrationDefinition {
  up: MigrationBody | DialectBodies;
  down?: MigrationBody | DialectBodies;
  /** Ids (`module@version`) this migration needs applied first. */
  dependsOn?: readonly string[];
  /**
   * Whether the migration runs in a transaction with its state row.
   * @default true
   */
  transaction?: boolean;
  /**
   * `false`: run with foreign-key enforcement off, for a table rebuild on SQLite (the
   * `-- strata:foreign-keys off` directive of SQL files). The dialect turns enforcement off before
   * the migration's transaction, checks every foreign key before it commits (a violation rolls it
   * back), and turns enforcement back on after. Ignored by dialects without the setting.
   * @default true
   */
  foreignKeys?: boolean;
  /**
   * A maintenance window of the CLI config (`windows: { nightly: … }`): `strata up` runs this
   * migration only while it is open, like `-- strata:window nightly` in a SQL file.
   */
  window?: string;
}

/**
 * Declares a migration for a `.ts`/`.js` migration file's default export, or for an in-memory
 * module.
 * @example
 * export default defineMigration({
 *   up: async ({ execute }) => execute('CREATE TABLE t (id integer)'),
 *   down: 'DROP TABLE t',
 * });
 */
export function defineMigration(definition: MigrationDefinition): MigrationDefinition {
  return definition;
}

/**
 * How a migration's body is resolved for one dialect. A source may produce it lazily (a file
 * source given a cache reads a file only when `up`, `down`, `checksumText` or a line is asked for).
 */
export interface ResolvedBody {
  up: MigrationBody;
  down: MigrationBody | undefined;
  /** The canonical text the checksum is computed from. */
  checksumText: string;
  /**
   * The `sha256-v1` checksum of `checksumText`, when the source already knows it (a file source's
   * cache); the engine hashes `checksumText` otherwise.
   */
  checksum?: string;
  /** Whether `down` is defined, when the source knows it without producing the body. */
  hasDown?: boolean;
  /** `false` when the migration runs with foreign keys off ({@link MigrationDefinition.foreignKeys}). */
  foreignKeys?: boolean;
  /** For SQL bodies from files: 1-based line in `file` where the up and down sections start. */
  upLine?: number;
  downLine?: number;
}

/**
 * A migration as the engine sees it: identity, dependencies, and a way to get its body for a
 * dialect (lazily: TS migrations are only imported when they run or are hashed).
 */
export interface Migration {
  /** `module@version`. */
  readonly id: string;
  readonly module: string;
  readonly version: Version;
  /** Slug after the version in the file name (`add_users`). */
  readonly name: string;
  readonly dependsOn: readonly string[];
  /** Where it came from, for messages: a file path or `module <name>`. */
  readonly file: string | undefined;
  /** Whether this migration runs in a transaction; known before loading for SQL and in-memory. */
  readonly transaction: boolean;
  /** Whether a down exists, when known before loading (`undefined` for TS files until loaded). */
  readonly hasDown: boolean | undefined;
  /** Loads (once) and returns the body to run on `dialect`. */
  resolve(dialect: string): Promise<ResolvedBody>;
  /**
   * Script migrations (`.ts`/`.js` only): imports the file once and returns its definition, whose
   * `dependsOn`, `transaction` and `down` replace the fields above. Absent when the fields are
   * known without importing.
   */
  load?(): Promise<MigrationDefinition>;
  /**
   * Sources whose files differ by dialect (`1.2.0_x.postgres.sql` beside `1.2.0_x.sql`): the
   * migration as it is on `dialect`, with that file's own directives, body, checksum and name,
   * or `null` when it does not exist for that dialect (a dialect-only migration: not applicable
   * there, never pending). Absent: the migration is the same on every dialect.
   */
  forDialect?(dialect: string): Migration | null;
  /** The dialects a dialect-only migration exists for (absent when it exists for all). */
  readonly dialects?: readonly string[];
}

/** Formats a migration id. */
export function migrationId(module: string, version: string): string {
  return `${module}@${version}`;
}

/** Splits `module@version` (or a bare version, for `defaultModule`) into its parts. */
export function parseMigrationId(text: string, defaultModule?: string): { module: string; version: string } {
  const at = text.lastIndexOf('@');
  const module = at === -1 ? defaultModule : text.slice(0, at);
  const version = at === -1 ? text : text.slice(at + 1);
  if (module === undefined || !MODULE_NAME_PATTERN.test(module)) {
    throw new StrataError('STRATA_INVALID_ID', `Invalid migration id ${JSON.stringify(text)}: expected module@version`, {
      hint: 'Write the id as module@version, e.g. core@1.1.0',
    });
  }
  parseVersion(version);
  return { module, version };
}

/** Throws unless `name` is a valid module name. */
export function assertModuleName(name: string, where = 'module name'): void {
  if (!MODULE_NAME_PATTERN.test(name)) {
    throw new StrataError('STRATA_INVALID_ID', `Invalid ${where} ${JSON.stringify(name)}`, {
      hint: 'Module names start with a lower-case letter and hold only a-z, 0-9, "_" and "-" (at most 63 characters)',
    });
  }
}
