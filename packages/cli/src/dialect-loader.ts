import { createFailoverDialect, type Dialect, StrataError } from '@strata/core';
import type { DialectFactoryOptions } from './define-config.js';
import { importFromProject, isModuleNotFound } from './internal/import-package.js';
import type { Settings } from './settings.js';
import { parseTargetUrl, type ParsedTarget } from './target.js';

/** Loads a dialect package; injectable so tests can count or fake the imports. */
export type DialectLoader = () => Promise<unknown>;

/** Loaders of the built-in dialects, by URL kind. */
export interface DialectLoaders {
  postgres?: DialectLoader;
  sqlite?: DialectLoader;
}

// Specifiers in variables: the dialects are not dependencies of this package, and bundlers must
// leave these imports alone (the host app usually injects its own loaders).
const POSTGRES_PACKAGE = '@strata/dialect-postgres';
const SQLITE_PACKAGE = '@strata/dialect-sqlite';

const DEFAULT_LOADERS: Required<DialectLoaders> = {
  postgres: () => import(POSTGRES_PACKAGE),
  sqlite: () => import(SQLITE_PACKAGE),
};

const PACKAGES = {
  postgres: { name: '@strata/dialect-postgres', driver: 'pg', scheme: 'postgres://', factory: 'createPostgresDialect' },
  sqlite: { name: '@strata/dialect-sqlite', driver: 'better-sqlite3', scheme: 'sqlite:', factory: 'createSqliteDialect' },
} as const;

/** One database the CLI will talk to, and what it knows about it. */
export interface TargetDialect {
  dialect: Dialect;
  /** Parsed URL; `undefined` for a dialect object from the config. */
  parsed: ParsedTarget | undefined;
}

/** The dialect(s) of a run: the target, and the fallback when failover is configured. */
export interface ResolvedDialect {
  /** What the migrator gets: the target's dialect, or a failover dialect over both. */
  dialect: Dialect;
  primary: TargetDialect;
  fallback: TargetDialect | undefined;
}

/**
 * Creates the dialect for the settings: a config dialect object, a config dialect package, or the
 * built-in dialect for the URL's scheme — each imported only now. With a fallback URL, both are
 * wrapped in core's failover dialect.
 */
export async function resolveDialect(settings: Settings, loaders: DialectLoaders = {}): Promise<ResolvedDialect> {
  const primary = settings.dialectObject
    ? { dialect: settings.dialectObject, parsed: undefined }
    : await dialectForUrl(settings.url, settings, loaders);
  if (!settings.fallbackUrl) return { dialect: primary.dialect, primary, fallback: undefined };
  const fallback = await dialectForUrl(settings.fallbackUrl, { ...settings, dialectPackage: undefined }, loaders);
  return {
    dialect: createFailoverDialect({ primary: primary.dialect, fallback: fallback.dialect }),
    primary,
    fallback,
  };
}

async function dialectForUrl(url: string, settings: Settings, loaders: DialectLoaders): Promise<TargetDialect> {
  if (settings.dialectPackage) {
    const name = settings.dialectPackage;
    const loaded = await importDialect(
      name,
      settings,
      () => import(name),
      [name],
      `The config's dialect ${name} is not installed`,
      `npm install ${name}`,
    );
    return {
      dialect: await createFromFactory(name, loaded.default, factoryOptions(url, settings, sqliteFilename(url, settings.cwd))),
      parsed: undefined,
    };
  }
  const parsed = parseTargetUrl(url, settings.cwd);
  const info = PACKAGES[parsed.kind];
  const loaded = await importDialect(
    info.name,
    settings,
    loaders[parsed.kind] ?? DEFAULT_LOADERS[parsed.kind],
    [info.name, info.driver],
    `The ${info.scheme} URL needs ${info.name}, which is not installed`,
    `npm install ${info.name} ${info.driver}`,
  );
  // The built-in dialects get exactly what a dialect package gets (plus nothing): one path.
  const factory = loaded.default ?? loaded[info.factory];
  const options = factoryOptions(parsed.url, settings, parsed.kind === 'sqlite' ? parsed.filename : undefined);
  return { dialect: await createFromFactory(info.name, factory, options), parsed };
}

/**
 * What every dialect factory receives, built-in or from a package: the URL (also as
 * `connectionString`), the resolved file of a `sqlite:` URL as `filename`, and the config's
 * table, schema and timeouts.
 */
function factoryOptions(url: string, settings: Settings, filename: string | undefined): DialectFactoryOptions {
  return {
    url,
    connectionString: url,
    ...(filename !== undefined ? { filename } : {}),
    ...(settings.schema ? { schema: settings.schema } : {}),
    ...(settings.table ? { table: settings.table } : {}),
    ...(settings.ddlLockTimeoutMs !== undefined ? { ddlLockTimeoutMs: settings.ddlLockTimeoutMs } : {}),
    ...(settings.statementTimeoutMs !== undefined ? { statementTimeoutMs: settings.statementTimeoutMs } : {}),
    ...(settings.concurrentLockTimeoutMs !== undefined ? { concurrentLockTimeoutMs: settings.concurrentLockTimeoutMs } : {}),
  };
}

/** The file of a `sqlite:` URL given to a dialect package (any other URL: none). */
function sqliteFilename(url: string, cwd: string): string | undefined {
  if (!/^sqlite:/i.test(url.trim())) return undefined;
  try {
    const parsed = parseTargetUrl(url, cwd);
    return parsed.kind === 'sqlite' ? parsed.filename : undefined;
  } catch {
    return undefined;
  }
}

async function importDialect(
  name: string,
  settings: Settings,
  loader: DialectLoader,
  missing: readonly string[],
  message: string,
  hint: string,
): Promise<Record<string, unknown>> {
  try {
    return (await importFromProject(name, settings.cwd, loader)) as Record<string, unknown>;
  } catch (error) {
    if (isModuleNotFound(error, [...missing])) throw new StrataError('STRATA_DIALECT_MISSING', message, { hint, cause: error });
    throw error;
  }
}

async function createFromFactory(name: string, factory: unknown, options: DialectFactoryOptions): Promise<Dialect> {
  if (typeof factory !== 'function') {
    throw new StrataError('STRATA_CONFIG_INVALID', `Dialect package ${name} has no default-exported factory`, {
      hint: 'A dialect package must `export default (options) => dialect`',
    });
  }
  const dialect = (await (factory as (options: DialectFactoryOptions) => Dialect | Promise<Dialect>)(options)) as Dialect;
  if (!dialect || typeof dialect.connect !== 'function' || typeof dialect.name !== 'string') {
    throw new StrataError('STRATA_CONFIG_INVALID', `Dialect package ${name}'s factory did not return a dialect`);
  }
  return dialect;
}
