// The bin's stdio helpers, each in a child process whose stdout and stderr are real pipes (or a
// file), loaded from source through jiti.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const STDIO = fileURLToPath(new URL('../src/stdio.ts', import.meta.url));
const JITI = createRequire(import.meta.url).resolve('jiti');
const dir = mkdtempSync(join(tmpdir(), 'strata-stdio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CommonJS script in `dir` with `isTerminal` and `fdWriter` in scope. */
function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `const { createJiti } = require(${JSON.stringify(JITI)});\nconst { isTerminal, fdWriter } = createJiti(__filename)(${JSON.stringify(STDIO)});\n${body}\n`,
  );
  return file;
}

describe('isTerminal', () => {
  it('says no for pipes and files', () => {
    const file = script('answers.cjs', 'fdWriter(2).write(JSON.stringify([isTerminal(1), isTerminal(2), isTerminal(9)]));');
    const out = openSync(join(dir, 'out.txt'), 'w');
    const piped = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    const toFile = spawnSync(process.execPath, [file], { encoding: 'utf8', stdio: ['ignore', out, 'pipe'] });
    expect(JSON.parse(piped.stderr)).toEqual([false, false, false]);
    expect(JSON.parse(toFile.stderr)).toEqual([false, false, false]);
  });

  it('leaves require resolving symlinked packages to their real path after checking a pipe', () => {
    // Node 20's realpathSync re-reads the last stat result for cached path components: a plain
    // fstat of a pipe left S_IFIFO there and require() stopped following pnpm's symlinks.
    mkdirSync(join(dir, 'store', 'linked'), { recursive: true });
    writeFileSync(join(dir, 'store', 'linked', 'package.json'), '{"name":"linked","main":"index.js"}');
    writeFileSync(join(dir, 'store', 'linked', 'index.js'), 'module.exports = __filename;');
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(dir, 'store', 'linked'), join(dir, 'node_modules', 'linked'));
    const file = script('resolve.cjs', "isTerminal(1);\nfdWriter(2).write(require('linked'));");
    const result = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    expect(result.stderr).toBe(join(dir, 'store', 'linked', 'index.js'));
  });
});

describe('fdWriter', () => {
  it('writes every byte to a pipe, multi-byte text included, larger than the pipe buffer', () => {
    const file = script(
      'big.cjs',
      "const w = fdWriter(1);\nfor (let i = 0; i < 2000; i++) w.write('ligne été ' + i + ' ' + 'x'.repeat(100) + '\\n');",
    );
    const result = spawnSync(process.execPath, [file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(2001);
    expect(lines[1999]).toBe(`ligne été 1999 ${'x'.repeat(100)}`);
  });

  it('writes to a file', () => {
    const file = script('file.cjs', "fdWriter(1).write('one\\n'); fdWriter(1).write(''); fdWriter(1).write('two\\n');");
    const target = join(dir, 'written.txt');
    const result = spawnSync(process.execPath, [file], { stdio: ['ignore', openSync(target, 'w'), 'pipe'] });
    expect(result.status).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('one\ntwo\n');
  });

  it('stops writing, without an error, when the reader has gone (EPIPE)', async () => {
    const file = script(
      'epipe.cjs',
      "const w = fdWriter(1);\nfor (let i = 0; i < 200000; i++) w.write('line ' + i + '\\n');\nfdWriter(2).write('finished');",
    );
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Read the first chunk, then close our end of the pipe: the writer's next writes get EPIPE.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('finished');
    expect(code).toBe(0);
  });
});
