import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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
 * `node_modules`, the way Node would for an `import` there (the `import`/`default`/`node`
 * condition of `exports["."]`, else `module`/`main`). Returns `undefined` when it is not there.
 * (`createRequire().resolve` would pick the `require` condition.)
 */
export function resolvePackageEntry(name: string, fromDir: string): string | undefined {
  const found = findPackage(name, fromDir);
  return found && entryOf(found, ESM_CONDITIONS).path;
}

const ESM_CONDITIONS = ['import', 'node', 'default'] as const;
const CJS_CONDITIONS = ['require', 'node', 'default'] as const;

interface FoundPackage {
  dir: string;
  manifest: Record<string, unknown>;
}

/** The nearest `node_modules/<name>` with a readable package.json, from `fromDir` up. */
function findPackage(name: string, fromDir: string): FoundPackage | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    const packageDir = join(dir, 'node_modules', name);
    const manifestPath = join(packageDir, 'package.json');
    if (existsSync(manifestPath)) {
      try {
        return { dir: packageDir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown> };
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The package's entry for `conditions`, and whether Node would load it as CommonJS. */
function entryOf({ dir, manifest }: FoundPackage, conditions: readonly string[]): { path: string; commonJs: boolean } {
  const fromExports = exportEntry(manifest.exports, conditions);
  const legacy = conditions === ESM_CONDITIONS ? (manifest.module ?? manifest.main) : manifest.main;
  const entry = fromExports ?? (legacy as string | undefined) ?? 'index.js';
  const commonJs = entry.endsWith('.cjs') || (!entry.endsWith('.mjs') && manifest.type !== 'module');
  return { path: join(dir, entry), commonJs };
}

function exportEntry(exports: unknown, conditions: readonly string[]): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const record = exports as Record<string, unknown>;
  const root = '.' in record ? record['.'] : record;
  return pickCondition(root, conditions);
}

function pickCondition(value: unknown, conditions: readonly string[]): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const hit = pickCondition(item, conditions);
      if (hit) return hit;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  for (const condition of conditions) {
    if (condition in record) {
      const hit = pickCondition(record[condition], conditions);
      if (hit) return hit;
    }
  }
  return undefined;
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
    const entry = entryOf(found, CJS_CONDITIONS);
    if (entry.commonJs && existsSync(entry.path)) return asNamespace(createRequire(entry.path)(entry.path)) as T;
  }
  const entry = entryOf(found, ESM_CONDITIONS).path;
  if (existsSync(entry)) return (await import(pathToFileURL(entry).href)) as T;
  return fallback();
}

/**
 * What `import()` would give for a CommonJS module: compiled ESM (`__esModule`) as it is, plain
 * CommonJS (`module.exports = factory`) with its exports as `default` too.
 */
function asNamespace(exports: unknown): unknown {
  if (exports !== null && (typeof exports === 'object' || typeof exports === 'function') && (exports as { __esModule?: unknown }).__esModule) return exports;
  return exports !== null && typeof exports === 'object' ? { ...exports, default: exports } : { default: exports };
}

/** True when `error` says that `name` (or one of `also`) could not be found. */
export function isModuleNotFound(error: unknown, names: readonly string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = String((error as Error).message);
  return names.some((name) => message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(`/${name}/`));
}
