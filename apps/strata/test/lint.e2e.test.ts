import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, project, strata } from './bin.js';

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata...\` first (the root test script does)`);
});

/** Files (as URLs) the bin loaded for `args`: the require cache at exit plus every ESM load. */
function loads(args: string[], cwd: string): { code: number; loaded: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-lint-loads-'));
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
  writeFileSync(
    join(dir, 'required.cjs'),
    `const { appendFileSync } = require('node:fs');\nprocess.on('exit', () => appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join('\\n') + '\\n'));\n`,
  );
  const preload = ['--require', join(dir, 'required.cjs'), '--import', pathToFileURL(join(dir, 'register.mjs')).href];
  const result = spawnSync(process.execPath, [...preload, BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', XDG_CACHE_HOME: join(dir, 'cache') },
  });
  return { code: result.status ?? -1, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const W2 = Object.fromEntries(
  Array.from({ length: 3 }, (_, i) => [
    `migrations/1.${i}.0_t_${i}.sql`,
    `-- strata:up\nCREATE TABLE t_${i} (id INTEGER PRIMARY KEY, a TEXT NOT NULL);\nCREATE INDEX idx_t_${i}_a ON t_${i} (a);\n-- strata:down\nDROP TABLE t_${i};\n`,
  ]),
);
const RISKY = {
  ...W2,
  'migrations/2.0.0_risky.sql': '-- strata:up\nCREATE INDEX idx_t_0_id ON t_0 (id);\nALTER TABLE t_1 RENAME COLUMN a TO b;\n',
};

describe('strata lint (the built bin)', () => {
  it('lints with the bundled @strata/lint: text, --json, --format github, exit 3 on an error', () => {
    const dir = project(RISKY);
    const text = strata(dir, ['lint', '--dialect', 'postgres']);
    expect(text.code, text.stderr).toBe(3);
    expect(text.stdout).toContain('migrations/2.0.0_risky.sql:2:1 error pg/index-not-concurrent');
    expect(text.stdout).toContain('migrations/2.0.0_risky.sql:3:1 warning pg/rename');
    const document = JSON.parse(strata(dir, ['lint', '--dialect', 'postgres', '--json']).stdout);
    expect(document).toMatchObject({ dialect: 'postgres', scope: 'all', migrations: 4, errors: 1, warnings: 1 });
    const github = strata(dir, ['lint', '--dialect', 'sqlite', '--format', 'github']);
    expect(github.code).toBe(0);
    expect(github.stdout.split('\n')[0]).toMatch(
      /^::warning file=migrations\/2\.0\.0_risky\.sql,line=3,col=1,title=strata lint sqlite\/rename::/,
    );
  });

  it('lints the pending migrations of the default SQLite target', () => {
    const dir = project(W2);
    expect(strata(dir, ['up', '--no-backup']).code).toBe(0);
    writeFileSync(join(dir, 'migrations/2.0.0_risky.sql'), RISKY['migrations/2.0.0_risky.sql']);
    const ran = strata(dir, ['lint', '--json']);
    expect(JSON.parse(ran.stdout)).toMatchObject({
      scope: 'pending',
      migrations: 1,
      findings: [expect.objectContaining({ rule: 'sqlite/rename' })],
    });
  });

  it('loads @strata/lint only for lint, and the PostgreSQL parser only when a script needs it', () => {
    const dir = project(RISKY);
    const status = loads(['status'], dir);
    expect(status.loaded.filter((file) => /[/\\]lint[/\\]dist|libpg-query/.test(file))).toEqual([]);
    const sqlite = loads(['lint', '--dialect', 'sqlite'], dir);
    expect(sqlite.loaded.some((file) => /[/\\]lint[/\\]dist[/\\]index\.cjs$/.test(file))).toBe(true);
    expect(sqlite.loaded.filter((file) => file.includes('libpg-query'))).toEqual([]);
    // CREATE TABLE and plain CREATE INDEX scripts take the fast path: no parser.
    const plain = loads(['lint', '--dialect', 'postgres'], project(W2));
    expect(plain.code).toBe(0);
    expect(plain.loaded.filter((file) => file.includes('libpg-query'))).toEqual([]);
    const risky = loads(['lint', '--dialect', 'postgres'], dir);
    expect(risky.code).toBe(3);
    expect(risky.loaded.some((file) => file.includes('libpg-query'))).toBe(true);
  });
});
