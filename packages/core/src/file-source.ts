import { type Dirent, readdirSync, type Stats } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { assertModuleName, DEFAULT_MODULE, type Migration, migrationId } from './migration.js';
import type { MigrationSource, SourceLoadResult } from './migration-source.js';
import { createFileMigration, type FileLoadContext, type FileVariant } from './internal/file-migration.js';
import { DEFAULT_MAX_FILE_BYTES } from './internal/file-limits.js';
import { externalTarget, isRegularFile, readMigrationText, realpathOrSelf } from './internal/read-migration-file.js';
import { versionProblem } from './version.js';

/**
 * What a cache may vouch for of an unchanged SQL file, so that the file source does not read it
 * until its body is needed: its `sha256-v1` checksum and the directives the planner needs.
 */
export interface SqlFileFacts {
  checksum: string;
  dependsOn: string[];
  transaction: boolean;
  hasDown: boolean;
}

/**
 * A cache of a folder's SQL file facts, given to {@link createFileSource} by a caller that runs
 * often against the same folder (the CLI keeps one keyed by each file's stat signature; see
 * docs/decisions/008-checksum-cache.md). A file it vouches for is read only when its body is
 * needed, and that read is checked against the vouched checksum (`STRATA_CHECKSUM_MISMATCH`).
 */
export interface SqlFileCache {
  /** The facts of the file `fileName` of the folder (at `path`) when it is unchanged since they were remembered; undefined: read it. */
  lookup(fileName: string, path: string): SqlFileFacts | undefined;
  /** A file just read and parsed; `stats` is the fstat of the descriptor it was read from, taken before the read. */
  remember(fileName: string, stats: Stats, facts: SqlFileFacts): void;
  /** A vouched checksum proved wrong: forget everything, so the next load reads every file. */
  clear(): void;
}

/** Options for {@link createFileSource}. */
export interface FileSourceOptions {
  /** The folder holding this module's migration files. */
  directory: string;
  /** @default 'app' */
  module?: string;
  /** How the folder is named in messages (`migrations`, relative to the project). @default directory */
  displayName?: string;
  /**
   * Called for files that look almost like migrations but are not (`schema.sql`), which are
   * ignored.
   */
  onWarning?: (message: string) => void;
  /**
   * Facts of unchanged SQL files, so that they are not read until their body is needed. Absent:
   * every file is read and hashed on every load.
   */
  cache?: SqlFileCache;
  /**
   * The largest migration file read, in bytes; a bigger one is a `STRATA_FILE_TOO_LARGE` problem,
   * found from its size before its content is read.
   * @default 67108864 (64 MiB, {@link DEFAULT_MAX_FILE_BYTES})
   */
  maxFileBytes?: number;
  /**
   * Read migration files that are symbolic links to files outside the folder. Off by default: a
   * link can make a reviewed folder run a file nobody reviewed (and the link's target can change
   * without the folder changing), so such a file is a `STRATA_INVALID_MIGRATION` problem. Links
   * to files inside the folder are always followed. See docs/decisions/010-migration-file-edges.md.
   * @default false
   */
  allowExternalSymlinks?: boolean;
}

export { DEFAULT_MAX_FILE_BYTES };

/** `<version>_<name>[.<dialect>].(sql|ts|mts|js|mjs)` */
const MIGRATION_FILE = /^(.+?)_([A-Za-z0-9][A-Za-z0-9_-]*)(?:\.([a-z][a-z0-9]*))?\.(sql|ts|mts|js|mjs)$/;
const MIGRATION_EXTENSION = /\.(sql|ts|mts|js|mjs)$/;
const SCRIPT_EXTENSION = /^(ts|mts|js|mjs)$/;

/**
 * A folder of migration files for one module. SQL files hold `-- strata:up` / `-- strata:down`
 * sections; `.ts`/`.js` files default-export `defineMigration(...)`. A file named
 * `1.2.0_x.postgres.sql` replaces `1.2.0_x.sql` on that dialect. Subfolders, hidden files, editor
 * backups and special files are never read.
 * @example createFileSource({ directory: './migrations', module: 'app' })
 */
export function createFileSource(options: FileSourceOptions): MigrationSource {
  const module = options.module ?? DEFAULT_MODULE;
  assertModuleName(module);
  const directory = resolvePath(options.directory);
  const shown = options.displayName ?? options.directory;
  return {
    description: `folder ${shown} (module ${module})`,
    load: async () =>
      loadFolder(directory, shown, options, {
        module,
        problems: [],
        cache: options.cache,
        maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      }),
  };
}

function loadFolder(directory: string, shownDirectory: string, options: FileSourceOptions, context: FileLoadContext): SourceLoadResult {
  const { module, problems, cache, maxFileBytes } = context;
  const { onWarning } = options;
  const allowExternalSymlinks = options.allowExternalSymlinks ?? false;
  let entries: Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return {
        migrations: [],
        problems: [
          {
            code: 'STRATA_CONFIG_INVALID',
            message: `Migrations folder ${shownDirectory} does not exist`,
            hint: 'Create it with `strata init`, or point --migrations at the right folder',
            file: shownDirectory,
          },
        ],
      };
    }
    return {
      migrations: [],
      problems: [
        {
          code: 'STRATA_INVALID_MIGRATION',
          message: `Cannot read migrations folder ${shownDirectory}: ${code ?? (error as Error).message}`,
          file: shownDirectory,
        },
      ],
    };
  }
  // version → dialect ('' for generic) → variant
  const byVersion = new Map<string, Map<string, FileVariant>>();
  // In name order (problems and warnings come out stable): a comparator-free sort of the names.
  const byName = new Map<string, Dirent>();
  for (const entry of entries) byName.set(entry.name, entry);
  const names = [...byName.keys()].sort();
  // join(dir, name) is join(dir, 'x') with the 'x' replaced, for a name that is one plain path
  // segment (no separator, not '.' or '..'): normalise the two folders once, not 2,000 paths.
  const directoryPrefix = join(directory, 'x').slice(0, -1);
  let realDirectory: string | undefined;
  const shownPrefix = join(shownDirectory, 'x').slice(0, -1);
  for (const fileName of names) {
    const entry = byName.get(fileName)!;
    if (fileName.startsWith('.') || fileName.endsWith('~') || !MIGRATION_EXTENSION.test(fileName)) continue;
    if (fileName.endsWith('.d.ts') || fileName.endsWith('.d.mts')) continue;
    const path = directoryPrefix + fileName;
    const shown = shownPrefix + fileName;
    if (!isRegularFile(entry, path)) continue;
    if (entry.isSymbolicLink() && !allowExternalSymlinks) {
      realDirectory ??= realpathOrSelf(directory);
      const target = externalTarget(path, realDirectory);
      if (target !== undefined) {
        problems.push({
          code: 'STRATA_INVALID_MIGRATION',
          message: `${shown}: a symbolic link to a file outside the migrations folder (${target})`,
          hint: 'Copy the file into the folder (a link lets an unreviewed file run), or link to a file inside it',
          file: shown,
        });
        continue;
      }
    }
    const match = MIGRATION_FILE.exec(fileName);
    if (!match) {
      onWarning?.(`Ignoring ${shown}: not named <version>_<name>.sql (e.g. 1.0.0_create_users.sql)`);
      continue;
    }
    const [, version = '', name = '', dialect = '', extension = ''] = match;
    const problem = versionProblem(version);
    if (problem) {
      problems.push({
        code: 'STRATA_INVALID_VERSION',
        message: `${shown}: invalid version ${JSON.stringify(version)}: ${problem}`,
        hint: 'Name migration files <MAJOR.MINOR.PATCH>_<name>.sql, e.g. 1.2.0_add_users.sql',
        file: shown,
      });
      continue;
    }
    const kind = SCRIPT_EXTENSION.test(extension) ? 'script' : 'sql';
    const cached = cache && kind === 'sql' ? cache.lookup(fileName, path) : undefined;
    // A file that is read is fstat-ed on the descriptor it is read from, before the read: the
    // signature remembered and the text hashed belong to the same inode, and a write after the
    // fstat changes the signature (a path that moves to another file in between cannot mix them).
    const readStats: { stats?: Stats } | undefined = cache && kind === 'sql' && !cached ? {} : undefined;
    const text = cached ? undefined : readMigrationText(path, shown, problems, maxFileBytes, readStats);
    if (!cached && text === undefined) continue;
    let variants = byVersion.get(version);
    if (!variants) byVersion.set(version, (variants = new Map()));
    const existing = variants.get(dialect);
    if (existing) {
      problems.push({
        code: 'STRATA_DUPLICATE_VERSION',
        message: `Duplicate version ${migrationId(module, version)}${dialect ? ` for dialect ${dialect}` : ''}: ${existing.fileName} and ${shown}`,
        hint: 'Give one of them the next free version (strata new picks one)',
        migrationId: migrationId(module, version),
        file: shown,
      });
      continue;
    }
    const variant: FileVariant = { path, fileName: shown, name, kind, text };
    if (cached) variant.cached = cached;
    else if (readStats?.stats) {
      variant.stats = readStats.stats;
      variant.cacheName = fileName;
    }
    variants.set(dialect, variant);
  }

  const migrations: Migration[] = [];
  for (const [version, variants] of byVersion) {
    const migration = createFileMigration(version, variants, context);
    if (migration) migrations.push(migration);
  }
  return { migrations, problems };
}
