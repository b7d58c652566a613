import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { StrataError } from '@strata/core';
import { anchorSqliteUrl } from './settings.js';

/**
 * Reads `KEY=VALUE` lines from an env file into `env`. Variables already set win, as with
 * Node's `--env-file`, so a deploy's environment is never overridden by a stray file.
 * @throws StrataError `STRATA_CONFIG_INVALID` when the file cannot be read
 */
export function loadEnvFile(path: string, cwd: string, env: Record<string, string | undefined>): void {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new StrataError(
      'STRATA_CONFIG_INVALID',
      `Env file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        hint: 'Check the --env-file path',
      },
    );
  }
  const parsed = parseEnv(text) as Record<string, string>;
  for (const [key, value] of Object.entries(parsed)) {
    if (env[key] === undefined) env[key] = value;
  }
}

/**
 * Reads `.env` in `dir` (the config file's folder) into `env` when there is one; variables
 * already set (by the environment or `--env-file`) win. Returns the file read, if any.
 * @throws StrataError `STRATA_CONFIG_INVALID` when the file exists but cannot be read
 */
export function loadProjectEnv(dir: string, env: Record<string, string | undefined>): string | undefined {
  const path = join(dir, '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new StrataError('STRATA_CONFIG_INVALID', `Env file ${path} cannot be read (${code ?? 'error'})`, {
      hint: 'Fix its permissions, or remove it',
    });
  }
  const parsed = parseEnv(text) as Record<string, string>;
  for (const [key, value] of Object.entries(parsed)) {
    if (env[key] !== undefined) continue;
    // A relative SQLite URL in the project's .env names a file of the project, wherever strata runs.
    env[key] = URL_VARIABLES.has(key) ? anchorSqliteUrl(value, dir) : value;
  }
  return path;
}

/** Variables holding a target URL. */
const URL_VARIABLES = new Set(['DATABASE_URL', 'STRATA_FALLBACK_URL']);
