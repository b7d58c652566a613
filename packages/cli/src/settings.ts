import { dirname, resolve } from 'node:path';
import type { Dialect } from '@strata/core';
import { listOption, type ParsedOptions, stringOption } from './argv.js';
import type { LintConfig, StrataConfig } from './define-config.js';
import { parseByteSize, toByteSize } from './byte-size.js';
import { parseDuration } from './duration.js';
import { parseTargetUrl, pickDirectUrl, pickUrl, type UrlSource, urlPasswords } from './target.js';

/** Default folder of module `app`. */
export const DEFAULT_MIGRATIONS_DIR = './migrations';
/** A path with a folder in it is the project's; a bare name is looked up on PATH. */
function resolveExecutable(cwd: string, path: string): string {
  return path.includes('/') || path.includes('\\') ? resolve(cwd, path) : path;
}

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
  concurrentLockTimeoutMs: number | undefined;
  /** Retries of a transactional migration after a DDL lock timeout (config `lockRetries`). */
  lockRetries: number | undefined;
  backup: {
    dir: string;
    enabled: boolean | undefined;
    keep: number | undefined;
    maxBytes: number | undefined;
    pgDumpPath: string | undefined;
  };
  /** The largest migration file read (`STRATA_MAX_FILE_BYTES` > config `maxFileBytes`); undefined: the default, 64 MiB. */
  maxFileBytes: number | undefined;
  /** The config's `lint` object (`strata lint`). */
  lint: LintConfig | undefined;
  /** The config's maintenance windows (`windows`), checked by config.ts. */
  windows: StrataConfig['windows'];
  /** Passwords found in any URL or PGPASSWORD, redacted from all output. */
  secrets: string[];
  configPath: string | undefined;
  /** The config file's folder (the working folder without one): config paths resolve against it. */
  projectDir: string;
}

/** A URL from a flag, the environment or a direct URL is the target even when the config has a dialect object. */
function urlOverridesDialect(source: UrlSource): boolean {
  return source !== 'config' && source !== 'default';
}

/** Resolves the effective settings: flags win over the environment, which wins over the config file. */
export function resolveSettings(
  options: ParsedOptions,
  env: Record<string, string | undefined>,
  config: StrataConfig,
  cwd: string,
  configPath?: string,
): Settings {
  // Paths in the config file (and the defaults that stand in for them) belong to the config's
  // folder, so a run from a subfolder uses the project's files; flags and variables keep the
  // working folder.
  const base = configPath ? dirname(configPath) : cwd;
  const flagUrl = stringOption(options, 'url');
  const envUrl = env.DATABASE_URL || undefined;
  // A dialect object in the config is the target unless a URL is given by flag or env.
  const configDialect = typeof config.dialect === 'object' ? config.dialect : undefined;
  const directFlag = stringOption(options, 'direct-url');
  const picked = pickDirectUrl(pickUrl(flagUrl, envUrl, config.url), directFlag, config.directUrl);
  if (picked.source === 'config' || picked.source === 'default' || picked.source === 'direct-url-config')
    picked.url = anchorSqliteUrl(picked.url, base);
  const flagOrEnvFallback = stringOption(options, 'fallback-url') ?? (env.STRATA_FALLBACK_URL || undefined);
  const fallbackUrl = flagOrEnvFallback ?? (config.fallbackUrl !== undefined ? anchorSqliteUrl(config.fallbackUrl, base) : undefined);

  const folders: MigrationsFolder[] = [];
  const flagFolder = stringOption(options, 'migrations');
  const configMigrations = config.migrations;
  if (flagFolder !== undefined) {
    folders.push({ module: 'app', directory: resolve(cwd, flagFolder), shown: flagFolder, explicit: true });
  }
  if (typeof configMigrations === 'string') {
    if (flagFolder === undefined)
      folders.push({ module: 'app', directory: resolve(base, configMigrations), shown: configMigrations, explicit: true });
  } else if (configMigrations) {
    for (const [module, folder] of Object.entries(configMigrations)) {
      if (module === 'app' && flagFolder !== undefined) continue;
      folders.push({ module, directory: resolve(base, folder), shown: folder, explicit: true });
    }
  }
  if (folders.length === 0) {
    folders.push({ module: 'app', directory: resolve(base, DEFAULT_MIGRATIONS_DIR), shown: DEFAULT_MIGRATIONS_DIR, explicit: false });
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
    ...(directFlag ? urlPasswords(directFlag) : []),
    ...(config.directUrl ? urlPasswords(config.directUrl) : []),
    ...(fallbackUrl ? urlPasswords(fallbackUrl) : []),
    ...(env.PGPASSWORD ? [env.PGPASSWORD] : []),
  ];

  return {
    cwd,
    url: picked.url,
    urlSource: configDialect && !urlOverridesDialect(picked.source) ? 'config' : picked.source,
    dialectObject: configDialect && !urlOverridesDialect(picked.source) ? configDialect : undefined,
    dialectPackage: typeof config.dialect === 'string' ? config.dialect : undefined,
    fallbackUrl,
    folders,
    modules,
    table: config.table,
    schema: config.schema,
    lockTimeoutMs: duration(stringOption(options, 'lock-timeout'), config.lockTimeout, 'lock-timeout'),
    ddlLockTimeoutMs: duration(undefined, config.ddlLockTimeout, 'ddlLockTimeout'),
    statementTimeoutMs: duration(undefined, config.statementTimeout, 'statementTimeout'),
    concurrentLockTimeoutMs: duration(undefined, config.concurrentLockTimeout, 'concurrentLockTimeout'),
    lockRetries: config.lockRetries,
    backup: {
      dir: resolve(base, config.backup?.dir ?? DEFAULT_BACKUP_DIR),
      enabled: config.backup?.enabled,
      keep: config.backup?.keep,
      maxBytes: toByteSize(config.backup?.maxBytes),
      pgDumpPath: config.backup?.pgDumpPath === undefined ? undefined : resolveExecutable(base, config.backup.pgDumpPath),
    },
    maxFileBytes: env.STRATA_MAX_FILE_BYTES
      ? parseByteSize(env.STRATA_MAX_FILE_BYTES, 'STRATA_MAX_FILE_BYTES')
      : config.maxFileBytes !== undefined
        ? parseByteSize(config.maxFileBytes, 'maxFileBytes')
        : undefined,
    lint: config.lint,
    windows: config.windows,
    secrets: [...new Set(secrets)],
    configPath,
    projectDir: base,
  };
}

/**
 * A relative `sqlite:` URL made absolute against `base` (the config file's folder); any other URL
 * as it is. `sqlite::memory:` and URLs that do not parse are left for the dialect loader to judge.
 */
export function anchorSqliteUrl(url: string, base: string): string {
  let parsed: ReturnType<typeof parseTargetUrl>;
  try {
    parsed = parseTargetUrl(url, base);
  } catch {
    return url;
  }
  if (parsed.kind !== 'sqlite' || parsed.memory) return url;
  const query = /[?#].*$/.exec(url.trim())?.[0] ?? '';
  return `sqlite:${parsed.filename.replace(/[%?#]/g, (c) => encodeURIComponent(c))}${query}`;
}
