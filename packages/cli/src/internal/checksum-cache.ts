import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  statfsSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import {
  createFileSource,
  type FileSourceOptions,
  type MigrationSource,
  type SqlFileCache,
  type SqlFileFacts,
  TOOL_VERSION,
} from '@strata/core';

/**
 * Bump when the file's meaning changes: the checksum algorithm, or what `parseSqlMigration`
 * extracts (a directive added or read differently). Entries of another format are ignored. The
 * tool version is part of it too: every strata on a machine shares the default folder, and one
 * cold run per upgrade is cheap.
 */
const FORMAT = `strata-sql-files/1 ${TOOL_VERSION}`;

/**
 * A file changed within this window before the run started is not remembered: timestamps have a
 * granularity (1-2 s on some file systems), and an edit made in the same tick as the one we saw
 * could leave every stat field equal. Git treats "racily clean" index entries the same way.
 */
export const RACY_WINDOW_MS = 2_000;

// [size, mtimeMs, ctimeMs, ino, dev, checksum, transaction (0/1), hasDown (0/1), ...dependsOn]
type Entry = [number, number, number, number, number, string, 0 | 1, 0 | 1, ...string[]];

/**
 * The cache directory the CLI uses unless told otherwise: `STRATA_CACHE_DIR` (relative to the
 * caller's working directory), else `$XDG_CACHE_HOME/strata` (when absolute, as the XDG spec
 * requires), else `$HOME/.cache/strata` (`%LOCALAPPDATA%\strata` on Windows). `undefined` — no
 * cache — when `STRATA_NO_CACHE` is set to anything but `0` or empty, or when no home folder can
 * be found: a cache is an optimisation, never a reason to fail.
 */
export function defaultCacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const off = env.STRATA_NO_CACHE;
  if (off !== undefined && off !== '' && off !== '0') return undefined;
  if (env.STRATA_CACHE_DIR) return env.STRATA_CACHE_DIR;
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'strata');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'strata');
  const home = env.HOME || (process.platform === 'win32' ? env.USERPROFILE : undefined) || systemHome();
  return home && isAbsolute(home) ? join(home, '.cache', 'strata') : undefined;
}

/** The passwd entry's home; undefined where there is none (an arbitrary uid in a container). */
function systemHome(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

/**
 * A file source whose SQL files' checksums and directives are remembered in `cacheDirectory`
 * between runs (docs/decisions/008-checksum-cache.md): a file whose stat signature is unchanged is
 * read only when its body is needed, and checked against the remembered checksum then. No cache
 * on network file systems. The cache file is written after each load.
 */
export function cachedFileSource(options: FileSourceOptions, cacheDirectory: string): MigrationSource {
  const directory = resolvePath(options.directory);
  if (onNetworkFileSystem(directory)) return createFileSource(options);
  let cache: FileChecksumCache | undefined;
  const source = createFileSource({
    ...options,
    // Opened per load: a load that starts later trusts files that aged meanwhile.
    cache: {
      lookup: (fileName, path) => cache?.lookup(fileName, path),
      remember: (fileName, stats, facts) => cache?.remember(fileName, stats, facts),
      clear: () => cache?.clear(),
    },
  });
  return {
    ...source,
    load: async () => {
      cache = new FileChecksumCache(resolvePath(cacheDirectory), directory);
      const result = await source.load();
      cache.save();
      return result;
    },
  };
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

/**
 * Checksums of one migrations folder's SQL files, keyed by each file's stat signature (size,
 * modification and change times, inode, device). A file whose signature matches is not read:
 * any write changes its ctime, which no user-level tool can set back. Best effort: an unreadable,
 * corrupt or foreign cache file is ignored, and a failed write is silent (the next run reads the
 * files again). Never a source of truth for what is applied: only for what a file holds.
 */
export class FileChecksumCache implements SqlFileCache {
  private readonly file: string;
  private readonly known: Map<string, Entry>;
  private readonly next = new Map<string, Entry>();
  private changed = false;
  private readonly trustBefore: number;

  constructor(
    private readonly cacheDirectory: string,
    private readonly directory: string,
    startedAt = Date.now(),
  ) {
    this.file = join(cacheDirectory, `sql-${fnv1a64(directory)}.json`);
    this.known = readEntries(this.file, directory);
    this.trustBefore = startedAt - RACY_WINDOW_MS;
  }

  /**
   * The remembered facts of `fileName` when a stat of `path` matches its entry; else undefined.
   * Only a file the cache has an entry for is stat-ed (a cold cache costs no extra stat).
   */
  lookup(fileName: string, path: string): SqlFileFacts | undefined {
    const entry = this.known.get(fileName);
    if (entry === undefined) return undefined;
    const stats = statOrUndefined(path);
    if (
      stats === undefined ||
      entry[0] !== stats.size ||
      entry[1] !== stats.mtimeMs ||
      entry[2] !== stats.ctimeMs ||
      entry[3] !== stats.ino ||
      entry[4] !== stats.dev
    ) {
      return undefined;
    }
    this.next.set(fileName, entry);
    return { checksum: entry[5], transaction: entry[6] === 1, hasDown: entry[7] === 1, dependsOn: entry.slice(8) as string[] };
  }

  /** Remembers a file just read and parsed; `stats` must have been taken before the read. */
  remember(fileName: string, stats: Stats, facts: SqlFileFacts): void {
    // Changed too recently to be sure a later edit would show in the timestamps: hash it again next run.
    if (stats.ctimeMs >= this.trustBefore || stats.mtimeMs >= this.trustBefore) return;
    this.next.set(fileName, [
      stats.size,
      stats.mtimeMs,
      stats.ctimeMs,
      stats.ino,
      stats.dev,
      facts.checksum,
      facts.transaction ? 1 : 0,
      facts.hasDown ? 1 : 0,
      ...facts.dependsOn,
    ]);
    this.changed = true;
  }

  /** Writes the entries seen this run (files gone are dropped) when anything differs from the file. */
  save(): void {
    if (!this.changed && this.next.size === this.known.size) return;
    const document = JSON.stringify({ format: FORMAT, directory: this.directory, files: Object.fromEntries(this.next) });
    // Unique per writer, also for worker threads of one process and containers sharing the folder
    // (one pid): the random part.
    const temporary = `${this.file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
    let created = false;
    try {
      mkdirSync(this.cacheDirectory, { recursive: true, mode: 0o700 });
      const fd = openSync(temporary, 'wx', 0o600);
      created = true;
      try {
        writeSync(fd, document);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.file);
      created = false;
    } catch {
      if (created) unlinkQuietly(temporary);
    }
  }

  /** Forgets everything this folder's cache file holds (best effort): the next load reads every file. */
  clear(): void {
    unlinkQuietly(this.file);
  }
}

/**
 * The cache file's name for a folder: FNV-1a (64-bit) of its path, so that naming it does not load
 * node:crypto. Two folders that collide share a file name; the file records its folder and is
 * ignored (then overwritten) by the other.
 */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) hash = ((hash ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or not ours to remove
  }
}

function readEntries(file: string, directory: string): Map<string, Entry> {
  let parsed: unknown;
  try {
    const fd = openSync(file, 'r');
    try {
      // Only a file this user wrote and nobody else can change vouches for anything (the cache
      // folder may be a shared one such as /tmp when STRATA_CACHE_DIR says so).
      const stats = fstatSync(fd);
      const uid = process.getuid?.();
      if ((uid !== undefined && stats.uid !== uid) || (process.platform !== 'win32' && (stats.mode & 0o022) !== 0)) return new Map();
      parsed = JSON.parse(readFileSync(fd, 'utf8'));
    } finally {
      closeSync(fd);
    }
  } catch {
    return new Map();
  }
  const document = parsed as { format?: unknown; directory?: unknown; files?: unknown };
  if (document?.format !== FORMAT || document.directory !== directory || typeof document.files !== 'object' || document.files === null)
    return new Map();
  const entries = new Map<string, Entry>();
  for (const [name, value] of Object.entries(document.files as Record<string, unknown>)) {
    if (isEntry(value)) entries.set(name, value);
  }
  return entries;
}

function isEntry(value: unknown): value is Entry {
  if (!Array.isArray(value) || value.length < 8) return false;
  for (let i = 0; i < 5; i++) if (typeof value[i] !== 'number') return false;
  if (typeof value[5] !== 'string' || !/^[0-9a-f]{64}$/.test(value[5])) return false;
  if ((value[6] !== 0 && value[6] !== 1) || (value[7] !== 0 && value[7] !== 1)) return false;
  for (let i = 8; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}
