import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bumpVersion, compareVersions, isValidVersion, StrataError } from '@strata/core';
import { slugify } from '../slugify.js';
import type { MigrationsFolder } from '../settings.js';

export interface NewCommandOptions {
  cwd: string;
  /** The folder of the module that gets the file. */
  folder: MigrationsFolder;
  /** Any text: it is turned into a safe slug. */
  name: string;
  /** @default 'minor' */
  bump?: 'major' | 'minor' | 'patch';
  /** @default 'sql' */
  format?: 'sql' | 'ts';
}

export interface NewResult {
  /** The file written, relative to the project. */
  file: string;
  version: string;
  module: string;
}

const VERSION_PREFIX = /^([^_]+)_/;

/** The highest valid version among a folder's migration files, or `undefined`. */
export function highestVersion(fileNames: readonly string[]): string | undefined {
  let highest: string | undefined;
  for (const name of fileNames) {
    const version = VERSION_PREFIX.exec(name)?.[1];
    if (!version || !isValidVersion(version)) continue;
    if (!/\.(sql|ts|mts|js|mjs)$/.test(name)) continue;
    if (highest === undefined || compareVersions(version, highest) > 0) highest = version;
  }
  return highest;
}

// No `-- strata:down` line of its own: an untouched empty down section is invalid (`validate`
// reports it), so the template says how to add one instead of leaving a trap in every new file.
const SQL_TEMPLATE = `-- strata:up
-- Write the change here. Each statement ends with a semicolon.


-- To let \`strata down\` undo this migration, add a line "-- strata:down" here and the
-- statements that undo the change after it. Without that line, down refuses to revert it.
`;

// Types only (`import type` is erased when the file is loaded), from the package the project
// installed: a project that added only strata-migrate and a dialect has no @strata/core of its
// own (pnpm does not hoist it). The up placeholder is what core recognises as unedited.
const TS_TEMPLATE = `import type { MigrationDefinition } from 'strata-migrate';

export default {
  up: async ({ execute }) => {
    await execute(\`
      -- write the change here
    \`);
  },
  down: async ({ execute }) => {
    await execute(\`
      -- undo the change here
    \`);
  },
} satisfies MigrationDefinition;
`;

/** Writes the next migration file of a module: `<next version>_<slug>.sql` (or `.ts`), never overwriting. */
export async function newMigration(options: NewCommandOptions): Promise<NewResult> {
  const slug = slugify(options.name);
  const { directory, module } = options.folder;
  mkdirSync(directory, { recursive: true });
  const version = bumpVersion(highestVersion(readdirSync(directory)), options.bump ?? 'minor');
  const extension = options.format === 'ts' ? 'ts' : 'sql';
  const path = join(directory, `${version}_${slug}.${extension}`);
  try {
    writeFileSync(path, extension === 'ts' ? TS_TEMPLATE : SQL_TEMPLATE, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new StrataError('STRATA_USAGE', `${relative(options.cwd, path)} already exists`, {
        hint: 'Pick another name, or --patch / --major',
      });
    }
    throw error;
  }
  return { file: relative(options.cwd, path) || path, version, module };
}
