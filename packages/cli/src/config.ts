import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IDENTIFIER_PATTERN, isStrataError, StrataError } from '@strata/core';
import { BACKUP_CONFIG_KEYS, CONFIG_KEYS, FLEET_CONFIG_KEYS, type StrataConfig } from './define-config.js';
import { importFromProject, resolvePackageEntry } from './internal/import-package.js';
import { toByteSize } from './byte-size.js';
import { checkLintConfigShape } from './lint-config.js';
import { checkWindowsConfig } from './windows/window-config.js';

/** File names looked for in the project folder, in this order. */
export const CONFIG_FILE_NAMES = [
  'strata.config.ts',
  'strata.config.mts',
  'strata.config.cts',
  'strata.config.js',
  'strata.config.mjs',
  'strata.config.cjs',
  'strata.config.json',
] as const;

/** A loaded config file. */
export interface LoadedConfig {
  config: StrataConfig;
  /** Absolute path of the file; `undefined` when there is none. */
  path: string | undefined;
}

/** A folder holding one of these is a project's root: config discovery goes no higher. */
export const PROJECT_ROOT_MARKERS = ['package.json', '.git'] as const;

/**
 * The nearest folder at or above `cwd` holding a {@link PROJECT_ROOT_MARKERS} entry, or
 * `undefined` when there is none up to the file system's root.
 */
export function findProjectRoot(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (PROJECT_ROOT_MARKERS.some((marker) => existsSync(join(dir, marker)))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Finds the config file of a project: `explicit` (must exist), else the first of
 * {@link CONFIG_FILE_NAMES} in the working folder or a parent, up to the project's root (the
 * nearest folder with a `package.json` or `.git`). Outside any project only the working folder
 * is looked at, so a stray file in a home or temp folder is never picked up.
 */
export function findConfigFile(cwd: string, explicit?: string): string | undefined {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new StrataError('STRATA_CONFIG_INVALID', `Config file ${explicit} does not exist`, {
        hint: 'Check the --config path, or run `strata init` to create strata.config.json',
      });
    }
    return path;
  }
  // One directory listing per folder (not a stat per candidate name): this runs on every command.
  const start = resolve(cwd);
  const found: string[] = [];
  let dir = start;
  for (;;) {
    const names = listFolder(dir);
    const config = CONFIG_FILE_NAMES.find((name) => names.has(name));
    if (config) found.push(join(dir, config));
    if (PROJECT_ROOT_MARKERS.some((marker) => names.has(marker))) return found[0];
    const parent = dirname(dir);
    // No project root up to the file system's root: only the working folder counts.
    if (parent === dir) return found[0] !== undefined && dirname(found[0]) === start ? found[0] : undefined;
    dir = parent;
    // Outside a project nothing above the working folder is used: stop as soon as one is found there.
    if (found.length && dirname(found[0]!) === start) return found[0];
  }
}

function listFolder(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
}

/**
 * Loads and validates the project's config file; no file is an empty config. TypeScript files
 * go through jiti, which is imported only then.
 * @throws StrataError `STRATA_CONFIG_INVALID` naming the file and the key
 */
export async function loadConfig(cwd: string, explicit?: string, aliases: Record<string, string> = {}): Promise<LoadedConfig> {
  return loadConfigFile(findConfigFile(cwd, explicit), aliases);
}

/** Loads and validates the config file at `path` (found by {@link findConfigFile}); none is an empty config. */
export async function loadConfigFile(path: string | undefined, aliases: Record<string, string> = {}): Promise<LoadedConfig> {
  if (!path) return { config: {}, path: undefined };
  const raw = await readConfigFile(path, dirname(path), aliases);
  return { config: validateConfig(raw, basename(path)), path };
}

/** Reads a config file; packages it imports (jiti, strata-migrate) are resolved from `projectDir`. */
async function readConfigFile(path: string, projectDir: string, aliases: Record<string, string>): Promise<unknown> {
  const shown = basename(path);
  const extension = extname(path);
  try {
    if (extension === '.json') return JSON.parse(readFileSync(path, 'utf8'));
    if (extension === '.js' || extension === '.mjs' || extension === '.cjs') {
      const loaded = (await import(pathToFileURL(path).href)) as { default?: unknown };
      return loaded.default ?? loaded;
    }
    if (extension === '.ts' || extension === '.mts' || extension === '.cts') {
      const { createJiti } = await importJiti(projectDir);
      // `import { defineConfig } from 'strata-migrate'` works even when strata runs from outside the
      // project (npx, a global install): packages the project lacks resolve to the running CLI's.
      const alias = Object.fromEntries(Object.entries(aliases).filter(([name]) => resolvePackageEntry(name, projectDir) === undefined));
      const jiti = createJiti(pathToFileURL(path).href, { moduleCache: false, alias });
      return await jiti.import(pathToFileURL(path).href, { default: true });
    }
  } catch (error) {
    if (isStrataError(error)) throw error;
    throw new StrataError('STRATA_CONFIG_INVALID', `Config file ${shown} could not be loaded: ${(error as Error).message}`, {
      hint: 'Fix the error in the file; it must export the config as its default export',
      cause: error,
    });
  }
  throw new StrataError('STRATA_CONFIG_INVALID', `Config file ${shown} has an unsupported extension ${extension || '(none)'}`, {
    hint: `Name it one of ${CONFIG_FILE_NAMES.join(', ')}`,
  });
}

const JITI_PACKAGE = 'jiti';

interface Jiti {
  createJiti(id: string, options?: Record<string, unknown>): { import(id: string, options?: { default?: true }): Promise<unknown> };
}

/** jiti is a dependency of @strata/core: found from the project, then next to @strata/core, then from here. */
async function importJiti(cwd: string): Promise<Jiti> {
  const here = dirname(fileURLToPath(import.meta.url));
  const besideCore = (): string | undefined => {
    const core = resolvePackageEntry('@strata/core', here);
    return core ? resolvePackageEntry('jiti', dirname(core)) : undefined;
  };
  try {
    const loaded = await importFromProject<Partial<Jiti> & { default?: Partial<Jiti> }>('jiti', cwd, async () => {
      const entry = besideCore();
      if (entry && existsSync(entry)) return (await import(pathToFileURL(entry).href)) as Jiti;
      return (await import(JITI_PACKAGE)) as Jiti;
    });
    // jiti's CommonJS entry is the function itself with a `createJiti` property; its ESM entry names it.
    const createJiti = loaded.createJiti ?? loaded.default?.createJiti;
    if (typeof createJiti !== 'function') throw new TypeError('the installed jiti exports no createJiti (jiti 2 is needed)');
    return { createJiti };
  } catch (error) {
    throw new StrataError('STRATA_CONFIG_INVALID', 'A TypeScript config file needs jiti, which could not be loaded', {
      hint: 'npm install jiti, or use strata.config.js / strata.config.json',
      cause: error,
    });
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a config's shape: unknown keys, types, identifiers (`table`, `schema`) against the
 * strict identifier rule, so a hostile name never reaches SQL.
 * @throws StrataError `STRATA_CONFIG_INVALID` naming the file and the key
 */
export function validateConfig(raw: unknown, file = 'config'): StrataConfig {
  const fail = (key: string, why: string, hint?: string): never => {
    throw new StrataError('STRATA_CONFIG_INVALID', `${file}: ${key} ${why}`, {
      hint: hint ?? `Valid keys: ${CONFIG_KEYS.join(', ')}`,
      details: { key, file },
    });
  };
  if (!isPlainObject(raw)) fail('the config', 'is not an object', 'Export an object: export default defineConfig({ … })');
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) fail(`key ${JSON.stringify(key)}`, 'is not a config key');
  }
  const optionalString = (key: string) => {
    if (config[key] !== undefined && typeof config[key] !== 'string') fail(key, 'must be a string');
  };
  optionalString('url');
  optionalString('fallbackUrl');
  optionalString('directUrl');
  for (const key of ['table', 'schema']) {
    const value = config[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !IDENTIFIER_PATTERN.test(value)) {
      fail(
        key,
        `${JSON.stringify(String(value).slice(0, 70))} is not a valid identifier`,
        'Use letters, digits and underscores only, starting with a letter or underscore, at most 63 characters',
      );
    }
  }
  const dialect = config.dialect;
  if (
    dialect !== undefined &&
    typeof dialect !== 'string' &&
    !(isPlainObject(dialect) && typeof dialect.connect === 'function' && typeof dialect.name === 'string')
  ) {
    fail('dialect', 'must be a dialect object (with name and connect) or a package name');
  }
  const migrations = config.migrations;
  if (migrations !== undefined) {
    if (isPlainObject(migrations)) {
      for (const [module, folder] of Object.entries(migrations)) {
        if (typeof folder !== 'string' || folder === '') fail(`migrations.${module}`, 'must be a folder path');
      }
    } else if (typeof migrations !== 'string' || migrations === '') {
      fail('migrations', 'must be a folder path or an object { module: folder }');
    }
  }
  const modules = config.modules;
  if (modules !== undefined && !(Array.isArray(modules) && modules.every((m) => typeof m === 'string' && m !== ''))) {
    fail('modules', 'must be an array of package names');
  }
  for (const key of ['lockTimeout', 'ddlLockTimeout', 'statementTimeout', 'concurrentLockTimeout']) {
    const value = config[key];
    if (value !== undefined && typeof value !== 'string' && typeof value !== 'number')
      fail(key, 'must be a duration such as "5s" or a number of milliseconds');
  }
  if (config.maxFileBytes !== undefined && typeof config.maxFileBytes !== 'string' && typeof config.maxFileBytes !== 'number') {
    fail('maxFileBytes', 'must be a number of bytes or a size such as "64MiB"');
  }
  const lockRetries = config.lockRetries;
  if (lockRetries !== undefined && !(Number.isInteger(lockRetries) && (lockRetries as number) >= 0 && (lockRetries as number) <= 100)) {
    fail('lockRetries', 'must be a whole number from 0 to 100');
  }
  const backup = config.backup;
  if (backup !== undefined) {
    if (!isPlainObject(backup)) fail('backup', 'must be an object { dir, enabled, keep, maxBytes, pgDumpPath }');
    for (const key of Object.keys(backup as object)) {
      if (!(BACKUP_CONFIG_KEYS as readonly string[]).includes(key))
        fail(`key "backup.${key}"`, 'is not a config key', `Valid backup keys: ${BACKUP_CONFIG_KEYS.join(', ')}`);
    }
    const b = backup as Record<string, unknown>;
    if (b.dir !== undefined && typeof b.dir !== 'string') fail('backup.dir', 'must be a folder path');
    if (b.enabled !== undefined && typeof b.enabled !== 'boolean') fail('backup.enabled', 'must be true or false');
    if (b.keep !== undefined && !(Number.isInteger(b.keep) && (b.keep as number) >= 1))
      fail('backup.keep', 'must be a whole number, 1 or more');
    if (b.maxBytes !== undefined && toByteSize(b.maxBytes) === undefined)
      fail('backup.maxBytes', 'must be a number of bytes or a size such as "2GB" or "500MB"');
    if (b.pgDumpPath !== undefined && (typeof b.pgDumpPath !== 'string' || b.pgDumpPath === ''))
      fail('backup.pgDumpPath', 'must be the path of the pg_dump executable');
  }
  if (config.lint !== undefined) checkLintConfigShape(config.lint, fail);
  if (config.windows !== undefined) checkWindowsConfig(config.windows, fail);
  const fleet = config.fleet;
  if (fleet !== undefined) {
    if (!isPlainObject(fleet)) fail('fleet', 'must be an object { targets, concurrency, canary, failFast }');
    for (const key of Object.keys(fleet as object)) {
      if (!(FLEET_CONFIG_KEYS as readonly string[]).includes(key))
        fail(`key "fleet.${key}"`, 'is not a config key', `Valid fleet keys: ${FLEET_CONFIG_KEYS.join(', ')}`);
    }
    const f = fleet as Record<string, unknown>;
    if (f.targets !== undefined && (typeof f.targets !== 'string' || f.targets === ''))
      fail('fleet.targets', 'must be a fleet spec such as "sqlite:tenants/*.db"');
    if (f.concurrency !== undefined && !(Number.isInteger(f.concurrency) && (f.concurrency as number) >= 1))
      fail('fleet.concurrency', 'must be a whole number, 1 or more');
    if (f.canary !== undefined && !(Number.isInteger(f.canary) && (f.canary as number) >= 0))
      fail('fleet.canary', 'must be a whole number, 0 or more');
    if (f.failFast !== undefined && typeof f.failFast !== 'boolean') fail('fleet.failFast', 'must be true or false');
  }
  return config as StrataConfig;
}
