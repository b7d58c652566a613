import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { importFromProject, resolvePackageEntry, setPreferCommonJs } from '../src/internal/import-package.js';

const project = mkdtempSync(join(tmpdir(), 'strata-import-package-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));
afterEach(() => setPreferCommonJs(false));

/** Writes node_modules/<name> with a package.json and files. */
function pkg(name: string, manifest: Record<string, unknown>, files: Record<string, string>): void {
  const dir = join(project, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...manifest }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
}

pkg(
  'dual-pkg',
  { type: 'module', exports: { '.': { import: './index.js', require: './index.cjs' } } },
  {
    'index.js': "export const format = 'esm';\n",
    'index.cjs': "Object.defineProperty(exports, '__esModule', { value: true });\nexports.format = 'cjs';\n",
  },
);
pkg('plain-cjs', { main: 'index.js' }, { 'index.js': "module.exports = function createDialect() { return 'made'; };\n" });
// jiti's CommonJS entry: a function export that carries its own name as a property.
pkg(
  'fn-with-props',
  { type: 'module', exports: { '.': { import: './index.mjs', require: './index.cjs' } } },
  {
    'index.mjs': "export function createJiti() { return 'esm'; }\nexport default createJiti;\n",
    'index.cjs': "function createJiti() { return 'cjs'; }\nmodule.exports = createJiti;\nmodule.exports.createJiti = createJiti;\n",
  },
);
pkg(
  'nested-conditions',
  { exports: { '.': { node: { require: './node.cjs', import: './node.mjs' }, default: './other.js' } } },
  {
    'node.cjs': "exports.which = 'node-require';\n",
    'node.mjs': "export const which = 'node-import';\n",
    'other.js': "exports.which = 'other';\n",
  },
);
pkg('esm-only', { type: 'module', exports: { '.': { import: './index.js' } } }, { 'index.js': "export default 'esm-only default';\n" });

const never = async (): Promise<never> => {
  throw new Error('fallback used');
};

describe('importFromProject', () => {
  it('imports the ESM entry by default, and requires the CommonJS build for a CommonJS host', async () => {
    expect((await importFromProject<{ format: string }>('dual-pkg', project, never)).format).toBe('esm');
    setPreferCommonJs(true);
    expect((await importFromProject<{ format: string }>('dual-pkg', project, never)).format).toBe('cjs');
  });

  it('gives plain CommonJS its exports as default, as import() would', async () => {
    setPreferCommonJs(true);
    const loaded = await importFromProject<{ default: () => string }>('plain-cjs', project, never);
    expect(loaded.default()).toBe('made');
  });

  it("keeps the named properties of a CommonJS function export (jiti's createJiti)", async () => {
    setPreferCommonJs(true);
    const loaded = await importFromProject<{ createJiti: () => string; default: () => string }>('fn-with-props', project, never);
    expect(typeof loaded.createJiti).toBe('function');
    expect(loaded.createJiti()).toBe('cjs');
    expect(loaded.default()).toBe('cjs');
  });

  it('follows nested export conditions as Node does', async () => {
    expect((await importFromProject<{ which: string }>('nested-conditions', project, never)).which).toBe('node-import');
    setPreferCommonJs(true);
    expect((await importFromProject<{ which: string }>('nested-conditions', project, never)).which).toBe('node-require');
  });

  it('imports an ESM-only package even for a CommonJS host, and falls back when the project lacks it', async () => {
    setPreferCommonJs(true);
    expect((await importFromProject<{ default: string }>('esm-only', project, never)).default).toBe('esm-only default');
    expect(await importFromProject('not-installed', project, async () => 'fallback')).toBe('fallback');
  });

  it('resolvePackageEntry names the import entry', () => {
    expect(resolvePackageEntry('dual-pkg', project)).toBe(join(project, 'node_modules', 'dual-pkg', 'index.js'));
    expect(resolvePackageEntry('not-installed', project)).toBeUndefined();
  });
});
