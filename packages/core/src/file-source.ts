import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, type Stats, statSync, statfsSync, type Dirent } from 'node:fs';
import { isAbsolute, join, relative, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { canonicalText, checksum } from './checksum.js';
import { isStrataError, StrataError } from './errors.js';
import {
  assertModuleName,
  DEFAULT_MODULE,
  type Migration,
  type MigrationDefinition,
  migrationId,
  type ResolvedBody,
} from './migration.js';
import type { MigrationSource, SourceLoadResult } from './migration-source.js';
import { resolveDefinition } from './module-source.js';
import type { Problem } from './problem.js';
import { type CachedSqlFile, FileChecksumCache } from './internal/file-cache.js';
import { DEFAULT_MAX_FILE_BYTES, FileTooLargeError, fileTooLargeProblem } from './internal/file-limits.js';
import { parseSqlMigration } from './sql-migration-file.js';
import { parseVersion, versionProblem } from './version.js';

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
   * A directory where the checksums and directives of this folder's SQL files are remembered
   * between runs, keyed by each file's size, modification and change times, inode and device.
   * A file whose stat signature is unchanged is then not read until its body is needed (and is
   * verified against the remembered checksum when it is). Files changed less than two seconds
   * before a run are always read. `false` or absent: every file is read and hashed on every load.
   * The CLI passes {@link defaultCacheDirectory}. See docs/decisions/008-checksum-cache.md.
   * @default false
   */
  checksumCache?: string | false;
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

interface FileVariant {
  path: string;
  fileName: string;
  name: string;
  kind: 'sql' | 'script';
  /** Decoded canonical text (SQL and scripts alike: scripts are hashed by their text); undefined when `cached`. */
  text: string | undefined;
  /** What the checksum cache remembers of an unchanged SQL file, which was not read. */
  cached?: CachedSqlFile;
  /** With a cache, for a file that was read: its stat signature from before the read and its name in the folder. */
  stats?: Stats;
  cacheName?: string;
}

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
    load: async () => {
      const cache =
        options.checksumCache && !onNetworkFileSystem(directory) ? new FileChecksumCache(resolvePath(options.checksumCache), directory) : undefined;
      maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
      allowExternalSymlinks = options.allowExternalSymlinks ?? false;
      const result = loadFolder(directory, shown, module, options.onWarning, cache);
      cache?.save();
      return result;
    },
  };
}

function loadFolder(
  directory: string,
  shownDirectory: string,
  module: string,
  onWarning: ((message: string) => void) | undefined,
  cache: FileChecksumCache | undefined,
): SourceLoadResult {
  const problems: Problem[] = [];
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
      problems: [{ code: 'STRATA_INVALID_MIGRATION', message: `Cannot read migrations folder ${shownDirectory}: ${code ?? (error as Error).message}`, file: shownDirectory }],
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
    // Only a file the cache has an entry for is stat-ed first (a cold cache costs no extra stat).
    const stats = cache && kind === 'sql' && cache.has(fileName) ? statOrUndefined(path) : undefined;
    const cached = stats && cache!.lookup(fileName, stats);
    // A file that is read is fstat-ed on the descriptor it is read from, before the read: the
    // signature remembered and the text hashed belong to the same inode, and a write after the
    // fstat changes the signature (a path that moves to another file in between cannot mix them).
    const readStats: { stats?: Stats } | undefined = cache && kind === 'sql' && !cached ? {} : undefined;
    const text = cached ? undefined : readMigrationText(path, shown, problems, readStats);
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
    const migration = createFileMigration(module, version, variants, problems, cache);
    if (migration) migrations.push(migration);
  }
  return { migrations, problems };
}

/**
 * Linux file system magic numbers where `stat` may be served from a client-side attribute cache
 * while `open` sees newer content (NFS's close-to-open consistency, SMB/CIFS, FUSE, 9p, VirtualBox
 * shares, Ceph, AFS): no checksum cache there. From `statfs(2)`.
 */
const NETWORK_FILE_SYSTEMS = new Set([0x6969, 0x517b, 0xff534d42, 0xfe534d42, 0x65735546, 0x01021997, 0x786f4256, 0x00c36400, 0x5346414f]);

function onNetworkFileSystem(directory: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return NETWORK_FILE_SYSTEMS.has(statfsSync(directory).type);
  } catch {
    return true; // cannot tell: read the files
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // the read that follows reports why
  }
}

function isRegularFile(entry: Dirent, path: string): boolean {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The size limit of the load under way (loads are synchronous: one at a time). */
let maxFileBytes = DEFAULT_MAX_FILE_BYTES;
/** The load under way reads links to files outside its folder. */
let allowExternalSymlinks = false;

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Where a link in the folder really points, when that is outside the (real) folder; undefined when inside. */
function externalTarget(path: string, realDirectory: string): string | undefined {
  const target = realpathOrSelf(path);
  const inside = relative(realDirectory, target);
  return inside === '' || inside.startsWith('..') || isAbsolute(inside) ? target : undefined;
}

/** Reused for every file that fits (nearly all of them): no buffer per file. */
let readBuffer: Buffer | undefined;
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * The bytes of a migration file: open, one read, close (readFileSync also fstats and allocates;
 * this fstats only when `statsOut` asks). A file that fills the buffer is read again whole, from the
 * same descriptor. The returned view is valid until the next call.
 */
function readFileBytes(path: string, statsOut?: { stats?: Stats }, limit = maxFileBytes): Buffer {
  readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const fd = openSync(path, 'r');
  try {
    if (statsOut) statsOut.stats = fstatSync(fd);
    const length = readSync(fd, readBuffer, 0, READ_BUFFER_BYTES, 0);
    if (length < READ_BUFFER_BYTES) {
      if (length > limit) throw new FileTooLargeError(length, limit);
      return readBuffer.subarray(0, length);
    }
    // A big file: its size decides before the rest is read (a sparse 1 TB file costs nothing).
    const size = (statsOut?.stats ?? fstatSync(fd)).size;
    if (size > limit) throw new FileTooLargeError(size, limit);
    // pread left the offset at 0: readFileSync(fd) reads the whole file from this descriptor.
    const bytes = readFileSync(fd);
    if (bytes.length > limit) throw new FileTooLargeError(bytes.length, limit); // it grew meanwhile
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** `statsOut`: receives the fstat of the descriptor the text was read from, taken before the read. */
function readMigrationText(path: string, shown: string, problems: Problem[], statsOut?: { stats?: Stats }, limit = maxFileBytes): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileBytes(path, statsOut, limit);
  } catch (error) {
    if (error instanceof FileTooLargeError) {
      problems.push(fileTooLargeProblem(shown, error));
      return undefined;
    }
    problems.push({ code: 'STRATA_INVALID_MIGRATION', message: `${shown}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, file: shown });
    return undefined;
  }
  if (bytes.length === 0) {
    problems.push({ code: 'STRATA_INVALID_MIGRATION', message: `${shown}: the file is empty`, hint: 'Write the migration, or delete the file', file: shown });
    return undefined;
  }
  if (bytes.includes(0)) {
    problems.push({ code: 'STRATA_INVALID_MIGRATION', message: `${shown}: the file is binary (holds a NUL byte)`, hint: 'Migration files must be UTF-8 text', file: shown });
    return undefined;
  }
  if (!isUtf8(bytes)) {
    problems.push({ code: 'STRATA_INVALID_MIGRATION', message: `${shown}: the file is not valid UTF-8`, hint: 'Save it as UTF-8', file: shown });
    return undefined;
  }
  // toString keeps a leading BOM: canonicalText strips exactly one.
  return canonicalText(bytes.toString('utf8'));
}

function createFileMigration(
  module: string,
  version: string,
  variants: Map<string, FileVariant>,
  problems: Problem[],
  cache: FileChecksumCache | undefined,
): Migration | undefined {
  const id = migrationId(module, version);
  const first = variants.get('') ?? variants.values().next().value!;
  for (const variant of variants.values()) {
    if (variant.name !== first.name) {
      problems.push({
        code: 'STRATA_DUPLICATE_VERSION',
        message: `Version ${id} has two names: ${first.fileName} and ${variant.fileName}`,
        hint: 'Dialect-specific files must share the generic file name: 1.2.0_add_users.postgres.sql',
        migrationId: id,
        file: variant.fileName,
      });
      return undefined;
    }
  }
  // SQL files are parsed now (unless the cache vouches for them): their directives decide
  // dependencies and transaction mode.
  const parsed = new Map<string, SqlFacts>();
  for (const [dialect, variant] of variants) {
    if (variant.kind !== 'sql') {
      const problem = uneditedScriptTemplate(variant, id);
      if (problem) {
        problems.push(problem);
        return undefined;
      }
      continue;
    }
    if (variant.cached) {
      const { checksum: remembered, dependsOn, transaction, hasDown } = variant.cached;
      parsed.set(dialect, { checksum: remembered, dependsOn, transaction, hasDown, body: undefined });
      continue;
    }
    try {
      const body = parseSqlMigration(variant.text!, variant.fileName);
      const facts: SqlFacts = { dependsOn: body.dependsOn, transaction: body.transaction, hasDown: body.down !== undefined, checksum: undefined, body };
      if (cache && variant.stats) {
        facts.checksum = checksum(variant.text!);
        cache.remember(variant.cacheName!, variant.stats, facts as CachedSqlFile);
      }
      parsed.set(dialect, facts);
    } catch (error) {
      if (!isStrataError(error)) throw error;
      problems.push({ code: error.code, message: error.message, hint: error.hint, migrationId: id, file: variant.fileName });
      return undefined;
    }
  }
  // Made on first use: a thousand SQL migrations need neither map.
  let scripts: Map<string, Promise<MigrationDefinition>> | undefined;
  const scriptImports = () => (scripts ??= new Map());

  /** The migration as one file says it: its own directives, body, checksum and name in messages. */
  const variantMigration = (key: string, variant: FileVariant): Migration => {
    const sql = parsed.get(key);
    let resolved: ResolvedBody | undefined;
    const resolveVariant = async (dialect: string): Promise<ResolvedBody> => {
      if (resolved && (sql || key !== '')) return resolved;
      let body: ResolvedBody;
      if (sql?.body) {
        body = {
          up: sql.body.up,
          down: sql.body.down,
          checksumText: variant.text!,
          upLine: sql.body.upLine,
          ...(sql.body.foreignKeys ? {} : { foreignKeys: false }),
          ...(sql.body.downLine === undefined ? {} : { downLine: sql.body.downLine }),
          ...(sql.checksum === undefined ? {} : { checksum: sql.checksum }),
        };
      } else if (sql) {
        body = new DeferredSqlBody(variant, sql.checksum!, sql.hasDown, id, cache);
      } else {
        let definition = scriptImports().get(key);
        if (!definition) scriptImports().set(key, (definition = importScript(variant, id)));
        const resolvedDefinition = resolveDefinition(id, variant.fileName, await definition, dialect);
        body = { ...resolvedDefinition, checksumText: variant.text! };
      }
      // A generic script may pick a body per dialect (`{ postgres, default }`): cached per file only
      // for SQL and dialect files, whose body is the same whatever the dialect.
      if (sql || key !== '') resolved = body;
      return body;
    };
    const migration: { -readonly [K in keyof Migration]: Migration[K] } = {
      id,
      module,
      version: parseVersion(version),
      name: variant.name,
      dependsOn: sql?.dependsOn ?? [],
      file: variant.fileName,
      transaction: sql?.transaction ?? true,
      hasDown: sql?.hasDown,
      resolve: resolveVariant,
    };
    if (!sql) migration.load = () => loadScript(variant, key, scriptImports(), id);
    return migration;
  };

  // Each file is its own migration on the dialects it serves: a `.postgres.sql` file brings its own
  // directives, body and checksum, and is the file named in messages on PostgreSQL.
  const byDialect = new Map<string, Migration>();
  for (const [key, variant] of variants) byDialect.set(key, variantMigration(key, variant));
  const generic = byDialect.get('');
  const headline = generic ?? byDialect.values().next().value!;
  const forDialect = (dialect: string): Migration | null => byDialect.get(dialect) ?? generic ?? null;
  const dialects = generic ? undefined : [...variants.keys()];
  return {
    ...headline,
    forDialect,
    ...(dialects ? { dialects } : {}),
    resolve: async (dialect: string): Promise<ResolvedBody> => {
      const chosen = forDialect(dialect);
      if (!chosen) {
        throw new StrataError('STRATA_INVALID_MIGRATION', `Migration ${id} has no file for dialect ${dialect}`, {
          hint: `Add ${version}_${first.name}.sql (for every dialect) or ${version}_${first.name}.${dialect}.sql`,
          details: { migrationId: id, file: first.fileName },
        });
      }
      return chosen.resolve(dialect);
    },
  };
}

/** The up placeholder of `strata new --ts`: an up that executes only this comment is unedited. */
const UNEDITED_TS_UP = /up:\s*async\s*\(\{\s*execute\s*\}\)\s*=>\s*\{\s*await\s+execute\(`\s*-- write the change here\s*`\);?\s*\}/;

/**
 * An unedited `strata new --ts` file is refused as the SQL template is (its up section is empty),
 * rather than recorded as an applied no-op.
 */
function uneditedScriptTemplate(variant: FileVariant, id: string): Problem | undefined {
  if (variant.text === undefined || !variant.text.includes('-- write the change here') || !UNEDITED_TS_UP.test(variant.text)) return undefined;
  return {
    code: 'STRATA_INVALID_MIGRATION',
    message: `${variant.fileName}: the up function is the unedited template of \`strata new --ts\` (it executes only a comment)`,
    hint: 'Write the change in up (or delete the file)',
    migrationId: id,
    file: variant.fileName,
  };
}

/** A SQL file's directives and checksum, and its parsed body when the file was read this run. */
interface SqlFacts {
  dependsOn: string[];
  transaction: boolean;
  hasDown: boolean;
  checksum: string | undefined;
  body: ReturnType<typeof parseSqlMigration> | undefined;
}

/**
 * The body of a SQL file the cache vouched for: checksum and `hasDown` known, the text read (and
 * checked against the remembered checksum) only when a run, a plan or an error message needs it.
 * Its SQL fields are accessors on the prototype: a spread copy (`{ ...body }`) does not carry them.
 */
// A class, not an object literal with getters: a thousand literals with accessors cost ~1 ms a run.
class DeferredSqlBody implements ResolvedBody {
  private loaded: { text: string; sql: ReturnType<typeof parseSqlMigration> } | undefined;
  /** The size limit of the load that made it (it reads the file later). */
  private readonly limit = maxFileBytes;

  constructor(
    private readonly variant: FileVariant,
    readonly checksum: string,
    readonly hasDown: boolean,
    private readonly id: string,
    private readonly cache: FileChecksumCache | undefined,
  ) {}

  get up() {
    return this.load().sql.up;
  }
  get down() {
    return this.load().sql.down;
  }
  get checksumText() {
    return this.load().text;
  }
  get upLine() {
    return this.load().sql.upLine;
  }
  get downLine() {
    return this.load().sql.downLine;
  }
  get foreignKeys() {
    return this.load().sql.foreignKeys;
  }

  private load() {
    if (this.loaded) return this.loaded;
    const { variant, id } = this;
    const problems: Problem[] = [];
    const text = readMigrationText(variant.path, variant.fileName, problems, undefined, this.limit);
    if (text === undefined) {
      const problem = problems[0]!;
      throw new StrataError(problem.code, problem.message, { ...(problem.hint ? { hint: problem.hint } : {}), details: { migrationId: id, file: variant.fileName } });
    }
    const now = checksum(text);
    if (now !== this.checksum) {
      // Edited during the run, or a cache entry that was wrong: either way the cache goes, so the
      // next run reads and hashes every file again.
      this.cache?.clear();
      throw new StrataError(
        'STRATA_CHECKSUM_MISMATCH',
        `${variant.fileName} does not hold the text strata checked (${this.checksum}, now ${now}): it changed during the run, or the checksum cache was stale`,
        {
          hint: 'The checksum cache has been cleared: run the command again (strata validate reads every file)',
          details: { migrationId: id, file: variant.fileName, checked: this.checksum, current: now, cache: true },
        },
      );
    }
    this.loaded = { text, sql: parseSqlMigration(text, variant.fileName) };
    return this.loaded;
  }
}

/** Script migrations: import once to learn dependsOn / transaction / down. */
async function loadScript(
  variant: FileVariant,
  key: string,
  scripts: Map<string, Promise<MigrationDefinition>>,
  id: string,
): Promise<MigrationDefinition> {
  let definition = scripts.get(key);
  if (!definition) scripts.set(key, (definition = importScript(variant, id)));
  return definition;
}

let jitiInstance: Promise<{ import: (id: string, options?: { default?: true }) => Promise<unknown> }> | undefined;

async function importScript(variant: FileVariant, id: string): Promise<MigrationDefinition> {
  let exported: unknown;
  try {
    if (/\.(m?js)$/.test(variant.path)) {
      exported = ((await import(pathToFileURL(variant.path).href)) as { default?: unknown }).default;
    } else {
      jitiInstance ??= import('jiti').then(({ createJiti }) => createJiti(import.meta.url, { moduleCache: false }));
      exported = await (await jitiInstance).import(pathToFileURL(variant.path).href, { default: true });
    }
  } catch (error) {
    throw new StrataError('STRATA_INVALID_MIGRATION', `Migration ${id}: ${variant.fileName} could not be loaded: ${(error as Error).message}`, {
      hint: 'Fix the error in the file; it must default-export defineMigration({ up, down })',
      cause: error,
      details: { migrationId: id, file: variant.fileName },
    });
  }
  if (typeof exported !== 'object' || exported === null || !('up' in exported)) {
    throw new StrataError('STRATA_INVALID_MIGRATION', `Migration ${id}: ${variant.fileName} has no default export with an up`, {
      hint: 'export default defineMigration({ up: async (ctx) => { … }, down: … })',
      details: { migrationId: id, file: variant.fileName },
    });
  }
  return exported as MigrationDefinition;
}
