import { existsSync } from 'node:fs';
import { StrataError } from '@strata/core';
import type { Settings } from './settings.js';
import { parseTargetUrl } from './target.js';

/**
 * Commands that only read: they never create a database. (`backup list` reads the backup
 * folder's manifests and never opens the database at all.)
 */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set(['status', 'validate', 'plan', 'history']);

/**
 * Refuses a read-only command on a SQLite file that does not exist, instead of letting the
 * driver create an empty database (a mistyped path, or a run from the wrong folder). Only the
 * primary target is checked: a failover's fallback file may not exist until it is first used.
 * @throws StrataError `STRATA_DATABASE_MISSING` naming the file
 */
export function assertDatabaseExists(settings: Settings): void {
  if (settings.dialectObject || settings.dialectPackage) return;
  let parsed: ReturnType<typeof parseTargetUrl>;
  try {
    parsed = parseTargetUrl(settings.url, settings.cwd);
  } catch {
    return; // the dialect loader reports a bad URL with its own message
  }
  if (parsed.kind !== 'sqlite' || parsed.memory || existsSync(parsed.filename)) return;
  const from = {
    flag: '--url',
    env: 'DATABASE_URL',
    config: `the url in ${settings.configPath}`,
    'direct-url-flag': '--direct-url',
    'direct-url-config': `the directUrl in ${settings.configPath}`,
    default: 'the embedded default (no config file found)',
  }[settings.urlSource];
  throw new StrataError('STRATA_DATABASE_MISSING', `SQLite database ${parsed.filename} does not exist (from ${from})`, {
    hint:
      settings.urlSource === 'default'
        ? 'Run strata in the project folder (or a subfolder), pass --url, or run `strata up` to create it'
        : 'Check the path, or run `strata up` to create the database',
    details: { file: parsed.filename },
  });
}
