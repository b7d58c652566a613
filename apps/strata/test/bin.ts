// Shared by the end-to-end tests: spawn the BUILT bin in a temp project, piped (non-TTY), with a
// clean environment.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../dist/strata.cjs', import.meta.url));

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `strata <args>` in `cwd` and waits for it. */
export function strata(cwd: string, args: string[], env: Record<string, string> = {}): Ran {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    // The checksum cache goes to a temp folder, not the user's ~/.cache.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, XDG_CACHE_HOME: join(tmpdir(), 'strata-e2e-xdg-cache'), ...env },
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A temp project with these files (path → text). */
export function project(files: Record<string, string> = {}, prefix = 'strata-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
