import { existsSync, statSync } from 'node:fs';
import { createFileSource, isMigrationModule, type MigrationModule, type MigrationSource, StrataError } from '@strata/core';
import { cachedFileSource } from './internal/checksum-cache.js';
import { importFromProject, isModuleNotFound } from './internal/import-package.js';
import type { MigrationsFolder } from './settings.js';

/** Loads a package of migration modules; injectable (the app bundles `@strata/core-schema`). */
export type ModuleLoader = () => Promise<unknown>;

/** The migration sources of a run, and what was left out. */
export interface ResolvedSources {
  sources: MigrationSource[];
  /** Folders used. */
  folders: MigrationsFolder[];
  /** The default `./migrations` when it does not exist (not an error: nothing to migrate yet). */
  missingDefaultFolder: MigrationsFolder | undefined;
  /** Names of the modules loaded from packages. */
  modules: string[];
}

/**
 * Builds the sources: one file source per migrations folder, then each module package. A folder
 * given explicitly (flag or config) must exist; the default `./migrations` may be absent.
 * `checksumCache`: the folder where SQL files' checksums are remembered (see cachedFileSource).
 */
export async function resolveSources(
  folders: readonly MigrationsFolder[],
  modulePackages: readonly string[],
  cwd: string,
  loaders: Record<string, ModuleLoader>,
  onWarning: (message: string) => void,
  checksumCache: string | false = false,
  /** The largest migration file read; undefined: core's default (64 MiB). */
  maxFileBytes?: number,
): Promise<ResolvedSources> {
  const sources: MigrationSource[] = [];
  const used: MigrationsFolder[] = [];
  let missingDefaultFolder: MigrationsFolder | undefined;
  for (const folder of folders) {
    if (!existsSync(folder.directory) || !statSync(folder.directory).isDirectory()) {
      if (!folder.explicit) {
        missingDefaultFolder = folder;
        continue;
      }
      throw new StrataError('STRATA_CONFIG_INVALID', `Migrations folder ${folder.shown} (module ${folder.module}) does not exist`, {
        hint: "Create it (strata init creates ./migrations), or fix --migrations / the config's migrations",
      });
    }
    const options = {
      directory: folder.directory,
      displayName: folder.shown,
      module: folder.module,
      onWarning,
      ...(maxFileBytes !== undefined ? { maxFileBytes } : {}),
    };
    sources.push(checksumCache === false ? createFileSource(options) : cachedFileSource(options, checksumCache));
    used.push(folder);
  }
  const modules: string[] = [];
  for (const name of modulePackages) {
    const module = await loadModulePackage(name, cwd, loaders[name]);
    sources.push(module);
    modules.push(module.name);
  }
  return { sources, folders: used, missingDefaultFolder, modules };
}

/** Imports a package and finds its migration module: the default export, or a `module` export. */
export async function loadModulePackage(name: string, cwd: string, loader?: ModuleLoader): Promise<MigrationModule> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await importFromProject(name, cwd, loader ?? (() => import(name)))) as Record<string, unknown>;
  } catch (error) {
    if (isModuleNotFound(error, [name])) {
      throw new StrataError('STRATA_CONFIG_INVALID', `Migration module package ${name} is not installed`, {
        hint: `npm install ${name}, or remove it from --modules / the config's modules`,
        cause: error,
      });
    }
    throw new StrataError('STRATA_CONFIG_INVALID', `Migration module package ${name} could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const candidate = [loaded.default, loaded.module, (loaded.default as Record<string, unknown> | undefined)?.default].find(
    isMigrationModule,
  );
  if (!candidate) {
    throw new StrataError('STRATA_CONFIG_INVALID', `Package ${name} exports no migration module`, {
      hint: 'A module package must export defineModule({ name, migrations }) as its default export or as `module`',
    });
  }
  return candidate;
}
