import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Finds the ESM entry of package `name` installed in `fromDir` or a parent folder's
 * `node_modules`, the way Node would for an `import` there (the `import`/`default`/`node`
 * condition of `exports["."]`, else `module`/`main`). Returns `undefined` when it is not there.
 * `createRequire().resolve` cannot do this: strata's packages export the `import` condition only.
 */
export function resolvePackageEntry(name: string, fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    const packageDir = join(dir, 'node_modules', name);
    const manifestPath = join(packageDir, 'package.json');
    if (existsSync(manifestPath)) {
      try {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
        const entry = exportEntry(manifest.exports) ?? (manifest.module as string | undefined) ?? (manifest.main as string | undefined) ?? 'index.js';
        return join(packageDir, entry);
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function exportEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const record = exports as Record<string, unknown>;
  const root = '.' in record ? record['.'] : record;
  return pickCondition(root);
}

function pickCondition(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const hit = pickCondition(item);
      if (hit) return hit;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  for (const condition of ['import', 'node', 'default']) {
    if (condition in record) {
      const hit = pickCondition(record[condition]);
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
  const entry = resolvePackageEntry(name, cwd);
  if (entry && existsSync(entry)) return (await import(pathToFileURL(entry).href)) as T;
  return fallback();
}

/** True when `error` says that `name` (or one of `also`) could not be found. */
export function isModuleNotFound(error: unknown, names: readonly string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = String((error as Error).message);
  return names.some((name) => message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(`/${name}/`));
}
