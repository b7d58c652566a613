import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { StrataError } from '@strata/core';

/**
 * The files changed on this branch since it left `ref` (`git merge-base ref HEAD`), committed or
 * not, plus untracked files, as absolute paths: what `strata lint --since main` lints.
 * @throws StrataError `STRATA_USAGE` outside a git repository or for a ref git does not know
 */
export function changedFiles(ref: string, cwd: string): Set<string> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message)
        .trim()
        .split('\n')[0];
      throw new StrataError('STRATA_USAGE', `--since ${ref}: git ${args[0]} failed: ${stderr}`, {
        hint: 'Run it in a git repository and name a branch, tag or commit it knows (in a shallow CI clone, fetch the base branch first)',
        cause: error,
      });
    }
  };
  const root = git(['rev-parse', '--show-toplevel']).trim();
  const base = git(['merge-base', ref, 'HEAD']).trim();
  const names = [
    ...git(['diff', '--name-only', '-z', base]).split('\0'),
    ...git(['ls-files', '--others', '--exclude-standard', '--full-name', '-z']).split('\0'),
  ];
  return new Set(names.filter(Boolean).map((name) => resolve(root, name)));
}
