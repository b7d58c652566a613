import { StrataError } from '@strata/core';
import type { CommandContext } from './command-context.js';
import * as text from './render/text.js';
import type { Settings } from './settings.js';

/** `strata new <name>`: the next migration file of a module's folder. */
export async function newCommand(run: CommandContext, settings: Settings): Promise<number> {
  if (run.line.args.length !== 1) {
    throw new StrataError(
      'STRATA_USAGE',
      run.line.args.length ? 'strata new takes one name (quote it if it has spaces)' : 'strata new needs a name',
      {
        hint: 'strata new add_users',
      },
    );
  }
  const bumps = (['major', 'minor', 'patch'] as const).filter((b) => run.flag(b));
  if (bumps.length > 1)
    throw new StrataError('STRATA_USAGE', `Give only one of --major, --minor, --patch (got ${bumps.map((b) => `--${b}`).join(', ')})`);
  if (run.flag('sql') && run.flag('ts')) throw new StrataError('STRATA_USAGE', 'Give only one of --sql, --ts');
  const module = run.opt('module') ?? 'app';
  const folder = settings.folders.find((f) => f.module === module);
  if (!folder) {
    throw new StrataError('STRATA_USAGE', `Module ${module} has no migrations folder`, {
      hint: `Add it to the config: migrations: { ${module}: './migrations/${module}' }`,
    });
  }
  const { newMigration } = await import('./commands/new.js');
  const result = await newMigration({
    cwd: run.cwd,
    folder,
    name: run.line.args[0]!,
    bump: bumps[0] ?? 'minor',
    format: run.flag('ts') ? 'ts' : 'sql',
  });
  run.emit(result, () => text.renderNew(run.out, result));
  return 0;
}
