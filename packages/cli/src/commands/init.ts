import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { StrataError } from '@strata/core';
import { findConfigFile } from '../config.js';
import { DEFAULT_URL } from '../target.js';
import { DEFAULT_BACKUP_DIR, DEFAULT_MIGRATIONS_DIR } from '../settings.js';

export interface InitCommandOptions {
  cwd: string;
  /** Write `strata.config.ts` instead of `strata.config.json`. @default false */
  ts?: boolean;
}

export interface InitResult {
  /** Path of the config file written, relative to the project. */
  config: string;
  /** The migrations folder, relative to the project. */
  migrations: string;
  /** Whether the migrations folder was created (false when it existed). */
  createdMigrations: boolean;
  /** Lines added to `.gitignore` (created when missing): the database file and the backup folder. */
  gitignore: string[];
}

/** Creates `strata.config.json` (or `.ts`) and `migrations/`; never overwrites a config. */
export async function init(options: InitCommandOptions): Promise<InitResult> {
  const existing = findConfigFile(options.cwd);
  if (existing) {
    throw new StrataError('STRATA_USAGE', `A config file already exists: ${relative(options.cwd, existing)}`, {
      hint: 'Edit it, or delete it first to start over',
    });
  }
  const name = options.ts ? 'strata.config.ts' : 'strata.config.json';
  const body = options.ts
    ? `import { defineConfig } from 'strata-migrate';\n\nexport default defineConfig({\n  url: '${DEFAULT_URL}',\n  migrations: '${DEFAULT_MIGRATIONS_DIR}',\n});\n`
    : `${JSON.stringify({ url: DEFAULT_URL, migrations: DEFAULT_MIGRATIONS_DIR }, null, 2)}\n`;
  try {
    writeFileSync(join(options.cwd, name), body, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new StrataError('STRATA_USAGE', `A config file already exists: ${name}`, { hint: 'Edit it, or delete it first to start over' });
    }
    throw error;
  }
  const migrations = join(options.cwd, DEFAULT_MIGRATIONS_DIR);
  const createdMigrations = mkdirSync(migrations, { recursive: true }) !== undefined;
  const gitignore = ignoreInGit(options.cwd, [DEFAULT_URL.replace(/^sqlite:(\.\/)?/, ''), `${DEFAULT_BACKUP_DIR}/`]);
  return { config: name, migrations: DEFAULT_MIGRATIONS_DIR, createdMigrations, gitignore };
}

/**
 * Appends the entries `.gitignore` lacks (creating it when missing) and returns them: a database
 * file and backups full of data never belong in the repository.
 */
function ignoreInGit(dir: string, entries: readonly string[]): string[] {
  const path = join(dir, '.gitignore');
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const present = new Set(text.split(/\r?\n/).map((line) => line.trim().replace(/^\//, '')));
  const missing = entries.filter((entry) => !present.has(entry) && !present.has(entry.replace(/\/$/, '')));
  if (missing.length === 0) return [];
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  appendFileSync(path, `${separator}${text === '' ? '' : '\n'}# strata: the local database and its backups\n${missing.join('\n')}\n`);
  return missing;
}
