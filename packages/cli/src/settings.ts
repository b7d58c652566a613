import { resolve } from 'node:path';
import type { Dialect } from '@strata/core';
import { listOption, type ParsedOptions, stringOption } from './argv.js';
import type { LintConfig, StrataConfig } from './define-config.js';
import { parseDuration } from './duration.js';
import { pickUrl, type UrlSource, urlPasswords } from './target.js';

/** Default folder of module `app`. */
export const DEFAULT_MIGRATIONS_DIR = './migrations';
/** Default folder of backups, relative to the project. */
export const DEFAULT_BACKUP_DIR = '.strata-backups';

/** A folder of migrations for one module. */
export interface MigrationsFolder {
  module: string;
  /** Absolute path. */
  directory: string;
  /** As the user wrote it, for messages. */
  shown: string;
  /** Given by a flag or the config (must exist), rather than the default `./migrations`. */
  explicit: boolean;
}

/** Everything a command needs to know, after flags > env > config file > defaults. */
export interface Settings {
  cwd: string;
  url: string;
  urlSource: UrlSource;
  /** A dialect object from the config, used when no URL was given by flag or env. */
  dialectObject: Dialect | undefined;
  /** A dialect package from the config. */
  dialectPackage: string | undefined;
  fallbackUrl: string | undefined;
  folders: MigrationsFolder[];
  modules: string[];
  table: string | undefined;
  schema: string | undefined;
  lockTimeoutMs: number | undefined;
  ddlLockTimeoutMs: number | undefined;
  statementTimeoutMs: number | undefined;
  backup: { dir: string; enabled: boolean | undefined; keep: number | undefined };
  /** The config's `lint` object (`strata lint`). */
  lint: LintConfig | undefined;
  /** Passwords found in any URL or PGPASSWORD, redacted from all output. */
  secrets: string[];
  configPath: string | undefined;
}

/** Resolves the effective settings: flags win over the environment, which wins over the config file. */
export function resolveSettings(
  options: ParsedOptions,
  env: Record<string, string | undefined>,
  config: StrataConfig,
  cwd: string,
  configPath?: string,
): Settings {
  const flagUrl = stringOption(options, 'url');
  const envUrl = env.DATABASE_URL || undefined;
  // A dialect object in the config is the target unless a URL is given by flag or env.
  const configDialect = typeof config.dialect === 'object' ? config.dialect : undefined;
  const picked = pickUrl(flagUrl, envUrl, config.url);
  const fallbackUrl = stringOption(options, 'fallback-url') ?? (env.STRATA_FALLBACK_URL || undefined) ?? config.fallbackUrl;

  const folders: MigrationsFolder[] = [];
  const flagFolder = stringOption(options, 'migrations');
  const configMigrations = config.migrations;
  if (flagFolder !== undefined) {
    folders.push({ module: 'app', directory: resolve(cwd, flagFolder), shown: flagFolder, explicit: true });
  }
  if (typeof configMigrations === 'string') {
    if (flagFolder === undefined) folders.push({ module: 'app', directory: resolve(cwd, configMigrations), shown: configMigrations, explicit: true });
  } else if (configMigrations) {
    for (const [module, folder] of Object.entries(configMigrations)) {
      if (module === 'app' && flagFolder !== undefined) continue;
      folders.push({ module, directory: resolve(cwd, folder), shown: folder, explicit: true });
    }
  }
  if (folders.length === 0) {
    folders.push({ module: 'app', directory: resolve(cwd, DEFAULT_MIGRATIONS_DIR), shown: DEFAULT_MIGRATIONS_DIR, explicit: false });
  }

  const flagModules = listOption(options, 'modules');
  const modules = [...new Set([...(config.modules ?? []), ...flagModules])];

  const duration = (flag: string | undefined, fromConfig: string | number | undefined, name: string) =>
    flag !== undefined ? parseDuration(flag, `--${name}`) : fromConfig !== undefined ? parseDuration(fromConfig, name) : undefined;

  const secrets = [
    ...urlPasswords(picked.url),
    ...(flagUrl ? urlPasswords(flagUrl) : []),
    ...(envUrl ? urlPasswords(envUrl) : []),
    ...(config.url ? urlPasswords(config.url) : []),
    ...(fallbackUrl ? urlPasswords(fallbackUrl) : []),
    ...(env.PGPASSWORD ? [env.PGPASSWORD] : []),
  ];

  return {
    cwd,
    url: picked.url,
    urlSource: configDialect && picked.source !== 'flag' && picked.source !== 'env' ? 'config' : picked.source,
    dialectObject: configDialect && picked.source !== 'flag' && picked.source !== 'env' ? configDialect : undefined,
    dialectPackage: typeof config.dialect === 'string' ? config.dialect : undefined,
    fallbackUrl,
    folders,
    modules,
    table: config.table,
    schema: config.schema,
    lockTimeoutMs: duration(stringOption(options, 'lock-timeout'), config.lockTimeout, 'lock-timeout'),
    ddlLockTimeoutMs: duration(undefined, config.ddlLockTimeout, 'ddlLockTimeout'),
    statementTimeoutMs: duration(undefined, config.statementTimeout, 'statementTimeout'),
    backup: {
      dir: resolve(cwd, config.backup?.dir ?? DEFAULT_BACKUP_DIR),
      enabled: config.backup?.enabled,
      keep: config.backup?.keep,
    },
    lint: config.lint,
    secrets: [...new Set(secrets)],
    configPath,
  };
}
