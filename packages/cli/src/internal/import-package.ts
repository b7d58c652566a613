import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exports as resolveExports, legacy as resolveLegacy } from 'resolve.exports';

/**
 * True while the host is CommonJS (the strata bin, which is one CommonJS bundle, says so through
 * `runCli`'s `commonJs` option): project packages with a `require` entry are then required, so the
 * bin, @strata/core and the dialect share one CommonJS copy of core (decision 007).
 */
let preferCommonJs = false;

/** Set by `runCli` from its options, once per run. */
export function setPreferCommonJs(value: boolean): void {
  preferCommonJs = value;
}

/**
 * Finds the ESM entry of package `name` installed in `fromDir` or a parent folder's
 * `node_modules`, the way Node would for an `import` there (the `import`/`node`/`default`
 * conditions of `exports["."]`, else `main`). Returns `undefined` when it is not there.
 * (`createRequire().resolve` would pick the `require` condition.)
 */
export function resolvePackageEntry(name: string, fromDir: string): string | undefined {
  const found = findPackage(name, fromDir);
  return found && entryOf(found, false)?.path;
}

interface FoundPackage {
  dir: string;
  manifest: Record<string, unknown>;
}

/**
 * The first `node_modules/<name>` with a readable package.json in the folders Node itself would
 * search for a bare `require(name)` from `fromDir` (`require.resolve.paths`), leaving out the
 * global folders (NODE_PATH, ~/.node_modules): ESM never looks there, and they are not the project.
 */
function findPackage(name: string, fromDir: string): FoundPackage | undefined {
  const lookup = createRequire(join(resolve(fromDir), 'noop.js')).resolve.paths(name) ?? [];
  const global = new Set((Module as unknown as { globalPaths?: string[] }).globalPaths ?? []);
  for (const base of lookup) {
    if (global.has(base)) continue;
    const packageDir = join(base, name);
    const manifestPath = join(packageDir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    try {
      return { dir: packageDir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown> };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The package's root entry for `require` (or `import`), resolved by `resolve.exports` as Node
 * would (`exports` first, then `main`), and whether Node would load that file as CommonJS.
 * `undefined` when the package exports no such entry (an ESM-only package asked for `require`).
 */
function entryOf({ dir, manifest }: FoundPackage, require: boolean): { path: string; commonJs: boolean } | undefined {
  let entry: string | undefined;
  if (manifest.exports !== undefined) {
    try {
      entry = resolveExports(manifest, '.', { require })?.[0];
    } catch {
      return undefined;
    }
  } else {
    entry = resolveLegacy(manifest, { browser: false, fields: ['main'] }) || 'index.js';
  }
  if (!entry) return undefined;
  const path = join(dir, entry);
  const commonJs = path.endsWith('.cjs') || (!path.endsWith('.mjs') && manifest.type !== 'module');
  return { path, commonJs };
}

/**
 * Imports a package as the user's project sees it (resolved from `cwd` first), falling back to
 * `fallback` (the CLI's own dependency) when the project does not have it.
 */
export async function importFromProject<T>(name: string, cwd: string, fallback: () => Promise<T>): Promise<T> {
  const found = findPackage(name, cwd);
  if (!found) return fallback();
  if (preferCommonJs) {
    // Running as CommonJS: take the package's `require` entry when it has one (strata's packages
    // do), so it joins this process's CommonJS graph; an ESM-only package is imported.
    const entry = entryOf(found, true);
    if (entry?.commonJs && existsSync(entry.path)) return asNamespace(createRequire(entry.path)(entry.path)) as T;
  }
  const entry = entryOf(found, false)?.path;
  if (entry && existsSync(entry)) return (await import(pathToFileURL(entry).href)) as T;
  return fallback();
}

/**
 * What `import()` would give for a CommonJS module: compiled ESM (`__esModule`) as it is, plain
 * CommonJS with its exports as `default` and its own properties as named exports, a function
 * export included (jiti's CommonJS entry is `module.exports = createJiti` with a `createJiti`
 * property: dropping the properties of a function lost `createJiti`).
 */
function asNamespace(exports: unknown): unknown {
  const isObjectLike = exports !== null && (typeof exports === 'object' || typeof exports === 'function');
  if (isObjectLike && (exports as { __esModule?: unknown }).__esModule) return exports;
  return isObjectLike ? { ...(exports as object), default: exports } : { default: exports };
}

/** True when `error` says that `name` (or one of `also`) could not be found. */
export function isModuleNotFound(error: unknown, names: readonly string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = String((error as Error).message);
  return names.some((name) => message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(`/${name}/`));
}
