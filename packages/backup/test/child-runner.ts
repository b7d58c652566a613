import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SOURCE_ENTRIES } from '../../../test-support/sources.js';

const BACKUP_SRC = SOURCE_ENTRIES['@strata/backup']!;
const SQLITE_BACKUP_SRC = SOURCE_ENTRIES['@strata/dialect-sqlite/backup']!;
const POSTGRES_BACKUP_SRC = SOURCE_ENTRIES['@strata/dialect-postgres/backup']!;
// jiti (core's TypeScript loader) lets a plain `node` child run this package's sources unbuilt.
const JITI = createRequire(fileURLToPath(new URL('../../core/package.json', import.meta.url))).resolve('jiti');

/**
 * Runs `body` (an async function body that gets `backup`: the @strata/backup module merged with
 * the built-in providers of @strata/dialect-sqlite/backup and @strata/dialect-postgres/backup,
 * loaded from source; and `args`) in a child `node` started by bash with a file-size limit,
 * SIGXFSZ ignored so writes past the limit fail with EFBIG. The body's return value is printed as JSON.
 */
export function runBackupChild(
  workDir: string,
  body: string,
  options: { fileSizeLimitKb?: number; args?: unknown } = {},
): { status: number | null; result: unknown; stderr: string } {
  const script = join(workDir, 'child.mjs');
  writeFileSync(
    script,
    `import { createJiti } from ${JSON.stringify(pathToFileURL(JITI).href)};
const jiti = createJiti(import.meta.url, { alias: ${JSON.stringify(SOURCE_ENTRIES)} });
const backup = { ...(await jiti.import(${JSON.stringify(BACKUP_SRC)})), ...(await jiti.import(${JSON.stringify(SQLITE_BACKUP_SRC)})), ...(await jiti.import(${JSON.stringify(POSTGRES_BACKUP_SRC)})) };
const args = ${JSON.stringify(options.args ?? null)};
const result = await (async () => { ${body} })();
process.stdout.write(JSON.stringify(result));
`,
  );
  const limit = options.fileSizeLimitKb === undefined ? '' : `ulimit -f ${options.fileSizeLimitKb}; `;
  const child = spawnSync('bash', ['-c', `trap '' XFSZ; ${limit}exec "${process.execPath}" "${script}"`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  let result: unknown;
  try {
    result = JSON.parse(child.stdout);
  } catch {
    result = child.stdout;
  }
  return { status: child.status, result, stderr: child.stderr };
}
