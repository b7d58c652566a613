import { constants } from 'node:fs';
import { open, readdir, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isStrataError, StrataError } from '@strata/core';
import { createBackupId, isBackupId, MANIFEST_FORMAT, parseManifest, type BackupManifest } from './backup-manifest.js';
import type { BackupManager, BackupManagerOptions, VerifyResult } from './backup-manager-types.js';
import { backupError, describeError, interruptedError, throwIfAborted } from './internal/backup-error.js';
import {
  ensureBackupDirectory,
  errnoCode,
  errnoText,
  hashFile,
  lstatOrUndefined,
  publishFile,
  removeQuietly,
  reserveFile,
  syncDirectory,
  syncFile,
  writeNewFile,
} from './internal/secure-files.js';
import { BACKUP_TOOL_VERSION } from './tool-version.js';

/** Where backups go when no directory is configured (relative to the working directory). */
export const DEFAULT_BACKUP_DIRECTORY = '.strata-backups';

/**
 * Backups kept per target when no `keep` is given: ten deploys' worth. Enough to step back over a
 * bad release train (a backup is taken before every run with steps, so ten runs of history) while
 * bounding the disk used to ten copies of one database; older ones are what point-in-time
 * recovery and real backup systems are for.
 */
export const DEFAULT_BACKUP_KEEP = 10;

/** Temp files older than this are leftovers of a crashed run; {@link BackupManager.prune} removes them. */
export const STALE_TEMP_AGE_MS = 60 * 60 * 1000;

/**
 * The backup manager for one database, over the provider its dialect hands out.
 * @example
 * const backups = createBackupManager({
 *   provider: await createSqliteDialect({ filename: './app.db' }).backupProvider!(),
 *   directory: './.strata-backups',
 *   keep: 10,
 * });
 * const { manifest } = await backups.create();
 * await backups.restore(manifest.id, { into: './app-restored.db' });
 */
export function createBackupManager(options: BackupManagerOptions): BackupManager {
  const provider = options.provider;
  const directory = resolve(options.directory ?? DEFAULT_BACKUP_DIRECTORY);
  const toolVersion = options.toolVersion ?? BACKUP_TOOL_VERSION;
  const createId = options.createId ?? (() => createBackupId());
  const identity = provider.identity ?? provider.database;
  const defaultKeep = options.keep ?? DEFAULT_BACKUP_KEEP;
  validateRetention(defaultKeep, options.maxAgeMs);

  /** Every manifest in the directory, whatever its target. */
  async function readAll(): Promise<BackupManifest[]> {
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw backupError(`Cannot read the backup directory ${directory}: ${errnoText(error)}`, {
        cause: error,
        details: { file: directory },
      });
    }
    const manifests: BackupManifest[] = [];
    for (const name of names) {
      const match = /^(.+)\.json$/.exec(name);
      if (!match?.[1] || !isBackupId(match[1])) continue;
      const manifest = await readManifest(match[1]);
      if (manifest) manifests.push(manifest);
    }
    return manifests.sort(newestFirst);
  }

  async function readManifest(id: string): Promise<BackupManifest | undefined> {
    let text: string;
    try {
      const handle = await open(join(directory, `${id}.json`), constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ELOOP') return undefined;
      throw backupError(`Cannot read the manifest of backup ${id}: ${errnoText(error)}`, {
        cause: error,
        details: { file: join(directory, `${id}.json`) },
      });
    }
    try {
      const manifest = parseManifest(JSON.parse(text));
      return manifest?.id === id ? manifest : undefined;
    } catch {
      return undefined;
    }
  }

  async function requireManifest(id: string): Promise<BackupManifest> {
    const manifest = isBackupId(id) ? await readManifest(id) : undefined;
    if (!manifest) {
      throw backupError(`No backup ${JSON.stringify(id)} in ${directory}`, {
        hint: 'List the backups with `strata backup list`',
        details: { backupId: id },
      });
    }
    return manifest;
  }

  /** Rewrites a manifest in place (temp + rename over the old one). */
  async function replaceManifest(manifest: BackupManifest): Promise<void> {
    const temp = join(directory, `.${manifest.id}.json.${process.pid}.tmp`);
    await writeNewFile(temp, `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await rename(temp, join(directory, `${manifest.id}.json`));
      await syncDirectory(directory);
    } catch (error) {
      await removeQuietly(temp);
      throw error;
    }
  }

  /**
   * `verify`; with `trustVerified`, a backup whose manifest says it passed the provider's check
   * is only re-hashed: the same SHA-256 means the same bytes that passed it (restore's check).
   */
  async function verifyBackup(id: string, verifyOptions: { signal?: AbortSignal }, trustVerified: boolean): Promise<VerifyResult> {
    const manifest = await requireManifest(id);
    const started = Date.now();
    const path = join(directory, manifest.file);
    const problems: string[] = [];
    let hashOk = false;
    let providerOk = false;
    const stat = await lstatOrUndefined(path);
    if (!stat) problems.push(`the backup file ${path} is missing`);
    else if (!stat.isFile()) problems.push(`${path} is not a regular file`);
    else {
      const { sha256, size } = await hashFile(path);
      if (size !== manifest.size) problems.push(`size is ${size} bytes, the manifest says ${manifest.size}`);
      if (sha256 !== manifest.sha256) problems.push(`SHA-256 is ${sha256}, the manifest says ${manifest.sha256}`);
      hashOk = problems.length === 0;
      if (manifest.dialect !== provider.dialect) {
        problems.push(`the backup is of a ${manifest.dialect} database, this target is ${provider.dialect}`);
      } else if (hashOk && trustVerified && manifest.verified) {
        providerOk = true;
      } else if (hashOk) {
        const check = await provider.verify(path, verifyOptions);
        providerOk = check.ok;
        if (!check.ok) problems.push(check.detail);
      }
    }
    const durationMs = Date.now() - started;
    const ok = problems.length === 0;
    let current = manifest;
    if (ok && !manifest.verified) {
      current = { ...manifest, verified: true, verifyMs: durationMs };
      await replaceManifest(current);
    }
    return { id, ok, hashOk, providerOk, problems, durationMs, manifest: current };
  }

  const manager: BackupManager = {
    directory,
    provider,

    async create(createOptions = {}) {
      const { signal, onProgress } = createOptions;
      const what = `The backup of ${provider.database}`;
      throwIfAborted(signal, what);
      const started = Date.now();
      const id = createId();
      if (!isBackupId(id)) throw new StrataError('STRATA_INTERNAL', `createId returned an invalid backup id ${JSON.stringify(id)}`);
      onProgress?.({ stage: 'prepare' });
      try {
        await provider.check?.({ ...(signal ? { signal } : {}) });
      } catch (error) {
        if (signal?.aborted) throw interruptedError(what);
        throw asBackupFailure(error, `The pre-flight check for a backup of ${provider.database} failed`);
      }
      await ensureBackupDirectory(directory);

      const file = `${id}.${provider.extension}`;
      const finalPath = join(directory, file);
      const tempPath = join(directory, `.${file}.tmp`);
      const manifestPath = join(directory, `${id}.json`);
      const manifestTemp = join(directory, `.${id}.json.tmp`);
      const owned: string[] = [];
      try {
        for (const path of [finalPath, manifestPath]) {
          if (await lstatOrUndefined(path)) {
            throw backupError(`Refusing to write ${path}: something (a file or a symbolic link) is already there`, {
              hint: 'Backups are only written to new files; remove the unexpected entry after checking how it got there',
              details: { file: path },
            });
          }
        }
        await reserveFile(tempPath);
        owned.push(tempPath);
        const written = await provider.create(tempPath, { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
        throwIfAborted(signal, what);
        await syncFile(tempPath);
        const durationMs = Date.now() - started;

        let sha256: string;
        let size: number;
        if (written) {
          // The provider hashed the bytes as it wrote them; the file on disk must hold that many.
          const onDisk = (await lstatOrUndefined(tempPath))?.size;
          if (!/^[0-9a-f]{64}$/.test(written.sha256) || onDisk !== written.size) {
            throw backupError(
              `The backup of ${provider.database} does not match what the provider wrote: ${onDisk ?? 'no'} bytes on disk, ${written.size} written`,
              {
                hint: "The copy was discarded; check the backup directory's filesystem and retry",
                details: { file: tempPath },
              },
            );
          }
          ({ sha256, size } = written);
        } else {
          onProgress?.({ stage: 'hash' });
          ({ sha256, size } = await hashFile(tempPath));
        }
        if (size === 0)
          throw backupError(`The backup of ${provider.database} is empty (${tempPath})`, {
            hint: 'The provider wrote nothing; check the database',
            details: { file: tempPath },
          });

        let verifyMs: number | null = null;
        if (createOptions.verify !== false) {
          onProgress?.({ stage: 'verify' });
          const verifyStarted = Date.now();
          const check = await provider.verify(tempPath, { ...(signal ? { signal } : {}) });
          throwIfAborted(signal, what);
          if (!check.ok) {
            throw backupError(`The backup of ${provider.database} failed verification: ${check.detail}`, {
              hint: 'The copy was discarded; check the database (integrity) and the backup tools, then retry',
              details: { file: tempPath },
            });
          }
          verifyMs = Date.now() - verifyStarted;
        }

        await publishFile(tempPath, finalPath);
        owned.splice(owned.indexOf(tempPath), 1, finalPath);
        // Read after the copy so that a backup taken meanwhile by another process counts too.
        const sequence = (await readAll()).reduce((max, m) => Math.max(max, m.sequence), 0) + 1;

        const manifest: BackupManifest = {
          format: MANIFEST_FORMAT,
          id,
          createdAt: new Date(started).toISOString(),
          dialect: provider.dialect,
          database: provider.database,
          target: identity,
          sequence,
          schemaVersions: { ...(createOptions.versions ?? {}) },
          size,
          sha256,
          durationMs,
          toolVersion,
          runId: createOptions.runId ?? null,
          file,
          verified: verifyMs !== null,
          verifyMs,
          ...(options.tenant ? { tenant: options.tenant } : {}),
        };
        await writeNewFile(manifestTemp, `${JSON.stringify(manifest, null, 2)}\n`);
        owned.push(manifestTemp);
        await publishFile(manifestTemp, manifestPath);
        return { manifest, path: finalPath, manifestPath };
      } catch (error) {
        for (const path of owned) await removeQuietly(path);
        if (owned.length > 0) await syncDirectory(directory).catch(() => {});
        if (signal?.aborted && !(isStrataError(error) && error.code === 'STRATA_BACKUP_FAILED')) throw interruptedError(what);
        if (isStrataError(error)) throw asBackupFailure(error, `The backup of ${provider.database} failed`);
        const code = errnoCode(error);
        if (!code) throw asBackupFailure(error, `The backup of ${provider.database} failed`);
        const noSpace = code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT';
        throw backupError(`Cannot write the backup ${tempPath}: ${errnoText(error)}`, {
          hint: noSpace
            ? `Free space in ${directory} (or choose another backup directory) and retry; nothing was kept`
            : `Check that ${directory} is writable; nothing was kept`,
          cause: error,
          details: { file: tempPath, ...(code ? { errno: code } : {}) },
        });
      }
    },

    async list(listOptions = {}) {
      const all = await readAll();
      return listOptions.all ? all : all.filter((manifest) => manifest.target === identity);
    },

    verify(id, verifyOptions = {}) {
      return verifyBackup(id, verifyOptions, false);
    },

    async checkRestore(id, restoreOptions = {}) {
      const manifest = await requireManifest(id);
      if (manifest.dialect !== provider.dialect) {
        throw new StrataError(
          'STRATA_BACKUP_OTHER_TARGET',
          `Backup ${id} is of a ${manifest.dialect} database (${manifest.database}), not of this ${provider.dialect} target ${identity}`,
          {
            hint: 'A backup restores only into its own dialect: pick a backup of this target (`strata backup list`), or point --url at a database of its dialect',
            details: { backupId: id, backupTarget: manifest.target ?? manifest.database, target: identity },
          },
        );
      }
      if (restoreOptions.into === undefined && manifest.target !== identity && !restoreOptions.allowOtherTarget) {
        const whose =
          manifest.target === null
            ? `an unknown target (it was written before strata recorded targets; database ${manifest.database})`
            : manifest.target;
        throw new StrataError('STRATA_BACKUP_OTHER_TARGET', `Backup ${id} belongs to ${whose}, not to this target ${identity}`, {
          hint: 'Nothing was changed. Pick a backup of this target (`strata backup list`), restore it elsewhere with --into, or pass --from-other-target to restore it here on purpose',
          details: { backupId: id, backupTarget: manifest.target, target: identity },
        });
      }
      return manifest;
    },

    async restore(id, restoreOptions = {}) {
      const started = Date.now();
      await manager.checkRestore(id, restoreOptions);
      const check = await verifyBackup(id, { ...(restoreOptions.signal ? { signal: restoreOptions.signal } : {}) }, true);
      if (!check.ok) {
        throw backupError(`Backup ${id} failed verification, so it was not restored: ${check.problems.join('; ')}`, {
          hint: 'Nothing was changed. Pick another backup (`strata backup list`) or run `strata backup verify` for details',
          details: { backupId: id, file: join(directory, check.manifest.file) },
        });
      }
      const result = await provider.restore(join(directory, check.manifest.file), restoreOptions);
      return {
        id,
        manifest: check.manifest,
        target: result.target,
        replacedLive: restoreOptions.into === undefined,
        durationMs: Date.now() - started,
      };
    },

    async prune(pruneOptions = {}) {
      const keep = pruneOptions.keep ?? defaultKeep;
      const maxAgeMs = pruneOptions.maxAgeMs ?? options.maxAgeMs;
      validateRetention(keep, maxAgeMs);
      const now = (pruneOptions.now ?? new Date()).getTime();
      const dryRun = pruneOptions.dryRun ?? false;
      // Only this target's backups, newest first by sequence: a skewed clock cannot reorder them.
      const mine = await manager.list();
      const protectedId = mine.find((manifest) => manifest.verified)?.id;
      const spared = new Set([...(protectedId ? [protectedId] : []), ...(pruneOptions.protect ?? [])]);
      const ages = effectiveAges(mine, now);
      const removed: BackupManifest[] = [];
      const kept: BackupManifest[] = [];
      mine.forEach((manifest, index) => {
        const tooMany = index >= keep;
        const tooOld = maxAgeMs !== undefined && (ages.get(manifest.id) ?? 0) > maxAgeMs;
        if ((tooMany || tooOld) && !spared.has(manifest.id)) removed.push(manifest);
        else kept.push(manifest);
      });
      const removedTemporary = await staleTemporaries(directory, now);
      if (!dryRun) {
        for (const manifest of removed) {
          // The manifest first: a backup without one is no longer listed, even if we stop here.
          await removeQuietly(join(directory, `${manifest.id}.json`));
          await removeQuietly(join(directory, manifest.file));
        }
        for (const name of removedTemporary) await removeQuietly(join(directory, name));
        if (removed.length > 0 || removedTemporary.length > 0) await syncDirectory(directory);
      }
      return { dryRun, removed, kept, protectedId, removedTemporary };
    },
  };
  return manager;
}

/** Newest first: by sequence, then (for equal or missing sequences) by id. */
function newestFirst(a: BackupManifest, b: BackupManifest): number {
  if (a.sequence !== b.sequence) return b.sequence - a.sequence;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * The age of each backup as retention sees it. A backup cannot be younger than one taken after
 * it, so its time is the earliest `createdAt` among itself and every later backup, and never in
 * the future: a manifest stamped ahead by a skewed clock counts as no younger than the backups
 * that followed it, and as taken now at the latest. `manifests` is newest first.
 */
function effectiveAges(manifests: readonly BackupManifest[], now: number): Map<string, number> {
  const ages = new Map<string, number>();
  let earliest = now;
  for (const manifest of manifests) {
    const created = Date.parse(manifest.createdAt);
    if (Number.isFinite(created)) earliest = Math.min(earliest, created);
    ages.set(manifest.id, now - earliest);
  }
  return ages;
}

/**
 * Any failure of a backup is `STRATA_BACKUP_FAILED` (exit 6), whatever a third-party provider
 * threw; interruptions stay `STRATA_INTERRUPTED`. The original error is kept as the cause.
 */
function asBackupFailure(error: unknown, what: string): StrataError {
  if (isStrataError(error) && (error.code === 'STRATA_BACKUP_FAILED' || error.code === 'STRATA_INTERRUPTED')) return error;
  const hint = isStrataError(error) ? error.hint : undefined;
  return backupError(`${what}: ${describeError(error)}`, {
    hint: hint ?? 'Fix the cause above and retry; nothing was kept',
    cause: error,
    ...(isStrataError(error) ? { details: error.details } : {}),
  });
}

async function staleTemporaries(directory: string, now: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  const stale: string[] = [];
  for (const name of names) {
    if (!/^\.\d{8}T\d{9}Z-[0-9a-f]{6}\..*tmp(-journal|-wal|-shm)?$/.test(name)) continue;
    const stat = await lstatOrUndefined(join(directory, name));
    if (stat && now - stat.mtimeMs > STALE_TEMP_AGE_MS) stale.push(name);
  }
  return stale;
}

function validateRetention(keep: number | undefined, maxAgeMs: number | undefined): void {
  if (keep !== undefined && keep !== Number.POSITIVE_INFINITY && (!Number.isInteger(keep) || keep < 0)) {
    throw new StrataError('STRATA_CONFIG_INVALID', `The backup retention keep=${keep} is not a whole number ≥ 0`, {
      hint: 'Set backup.keep to the number of backups to keep, e.g. 10',
    });
  }
  if (maxAgeMs !== undefined && (!Number.isFinite(maxAgeMs) || maxAgeMs < 0)) {
    throw new StrataError('STRATA_CONFIG_INVALID', `The backup retention maxAgeMs=${maxAgeMs} is not a duration ≥ 0`, {
      hint: 'Give the maximum age in milliseconds, e.g. 604800000 for 7 days',
    });
  }
}
