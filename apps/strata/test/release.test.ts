// Releases as a maintainer cuts them: `changeset version` on a scratch copy of the workspace
// (package.json files, pnpm-workspace.yaml, .changeset/config.json) with one changeset, and the
// versions that come out.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORKSPACE = [
  'packages/core',
  'packages/dialect-sqlite',
  'packages/dialect-postgres',
  'packages/core-schema',
  'packages/backup',
  'packages/cli',
  'apps/strata',
  'apps/visual-editor-db',
  'bench',
  'examples/dialect-mariadb',
];
const CHANGESET_BIN = join(ROOT, 'node_modules', '@changesets', 'cli', 'bin.js');
const scratches: string[] = [];
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

/** A scratch copy of the workspace's manifests with `changesets` as the only pending changesets; returns the versions after `changeset version`. */
function versionAfter(
  changesets: Record<string, string>,
): Record<string, { version: string; manifest: Record<string, Record<string, string>> }> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-release-'));
  scratches.push(dir);
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset/config.json', ...WORKSPACE.map((w) => `${w}/package.json`)]) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  for (const [name, text] of Object.entries(changesets)) writeFileSync(join(dir, '.changeset', `${name}.md`), text);
  const ran = spawnSync(process.execPath, [CHANGESET_BIN, 'version'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  expect(ran.status, ran.stderr + ran.stdout).toBe(0);
  const out: Record<string, { version: string; manifest: Record<string, Record<string, string>> }> = {};
  for (const w of WORKSPACE) {
    const manifest = JSON.parse(readFileSync(join(dir, w, 'package.json'), 'utf8'));
    out[manifest.name] = { version: manifest.version, manifest };
  }
  return out;
}

describe('changeset version', () => {
  it('a core minor gives core 0.2.0 and its dependants a patch at most, never a major', () => {
    const after = versionAfter({ 'core-minor': '---\n"@strata/core": minor\n---\n\nA new core feature.\n' });
    expect(after['@strata/core']!.version).toBe('0.2.0');
    for (const name of [
      '@strata/dialect-sqlite',
      '@strata/dialect-postgres',
      '@strata/core-schema',
      '@strata/backup',
      '@strata/cli',
      'strata-migrate',
    ]) {
      expect(after[name]!.version, name).toMatch(/^0\.1\.[01]$/);
    }
    // The peer ranges still admit the new core.
    expect(after['@strata/dialect-sqlite']!.manifest.peerDependencies!['@strata/core']).toMatch(/0\.2|<1/);
    // Private packages are never versioned.
    expect(after['@strata/example-dialect-mariadb']!.version).toBe('0.0.0');
    expect(after['@strata/bench']!.version).toBe('0.0.0');
  });

  it('a dialect patch leaves every other package alone', () => {
    const after = versionAfter({ 'sqlite-patch': '---\n"@strata/dialect-sqlite": patch\n---\n\nA fix.\n' });
    expect(after['@strata/dialect-sqlite']!.version).toBe('0.1.1');
    expect(after['@strata/core']!.version).toBe('0.1.0');
    expect(after['@strata/cli']!.version).toBe('0.1.0');
  });
});
