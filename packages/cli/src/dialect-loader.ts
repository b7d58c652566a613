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
  postgres: { name: '@strata/dialect-postgres', driver: 'pg', scheme: 'postgres://' },
  sqlite: { name: '@strata/dialect-sqlite', driver: 'better-sqlite3', scheme: 'sqlite:' },
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
    return { dialect: await dialectFromPackage(settings.dialectPackage, url, settings), parsed: undefined };
  }
  const parsed = parseTargetUrl(url, settings.cwd);
  const info = PACKAGES[parsed.kind];
  const loader = loaders[parsed.kind] ?? DEFAULT_LOADERS[parsed.kind];
  let loaded: Record<string, unknown>;
  try {
    loaded = (await importFromProject(info.name, settings.cwd, loader)) as Record<string, unknown>;
  } catch (error) {
    if (isModuleNotFound(error, [info.name, info.driver])) {
      throw new StrataError('STRATA_DIALECT_MISSING', `The ${info.scheme} URL needs ${info.name}, which is not installed`, {
        hint: `npm install ${info.name} ${info.driver}`,
        cause: error,
      });
    }
    throw error;
  }
  if (parsed.kind === 'postgres') {
    const create = (loaded.createPostgresDialect ?? loaded.default) as (options: object) => Dialect;
    return {
      dialect: create({
        connectionString: parsed.url,
        ...(settings.schema ? { schema: settings.schema } : {}),
        ...(settings.table ? { table: settings.table } : {}),
        ...(settings.ddlLockTimeoutMs !== undefined ? { ddlLockTimeoutMs: settings.ddlLockTimeoutMs } : {}),
        ...(settings.statementTimeoutMs !== undefined ? { statementTimeoutMs: settings.statementTimeoutMs } : {}),
        ...(settings.concurrentLockTimeoutMs !== undefined ? { concurrentLockTimeoutMs: settings.concurrentLockTimeoutMs } : {}),
      }),
      parsed,
    };
  }
  const create = (loaded.createSqliteDialect ?? loaded.default) as (options: object) => Dialect;
  if (parsed.kind !== 'sqlite') throw new StrataError('STRATA_INTERNAL', 'unreachable');
  return { dialect: create({ filename: parsed.filename, ...(settings.table ? { table: settings.table } : {}) }), parsed };
}

async function dialectFromPackage(name: string, url: string, settings: Settings): Promise<Dialect> {
  let loaded: { default?: unknown };
  try {
    loaded = (await importFromProject(name, settings.cwd, () => import(name))) as { default?: unknown };
  } catch (error) {
    if (isModuleNotFound(error, [name])) {
      throw new StrataError('STRATA_DIALECT_MISSING', `The config's dialect ${name} is not installed`, { hint: `npm install ${name}`, cause: error });
    }
    throw error;
  }
  if (typeof loaded.default !== 'function') {
    throw new StrataError('STRATA_CONFIG_INVALID', `Dialect package ${name} has no default-exported factory`, {
      hint: 'A dialect package must `export default (options) => dialect`',
    });
  }
  const options: DialectFactoryOptions = {
    url,
    connectionString: url,
    ...(settings.schema ? { schema: settings.schema } : {}),
    ...(settings.table ? { table: settings.table } : {}),
    ...(settings.ddlLockTimeoutMs !== undefined ? { ddlLockTimeoutMs: settings.ddlLockTimeoutMs } : {}),
    ...(settings.statementTimeoutMs !== undefined ? { statementTimeoutMs: settings.statementTimeoutMs } : {}),
    ...(settings.concurrentLockTimeoutMs !== undefined ? { concurrentLockTimeoutMs: settings.concurrentLockTimeoutMs } : {}),
  };
  const dialect = (await (loaded.default as (options: DialectFactoryOptions) => Dialect | Promise<Dialect>)(options)) as Dialect;
  if (!dialect || typeof dialect.connect !== 'function' || typeof dialect.name !== 'string') {
    throw new StrataError('STRATA_CONFIG_INVALID', `Dialect package ${name}'s factory did not return a dialect`);
  }
  return dialect;
}
