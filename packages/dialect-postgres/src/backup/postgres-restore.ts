import { spawn } from 'node:child_process';
import { quoteIdentifier } from './postgres-sql.js';
import { toConninfo, toolEnvironment, type PostgresTarget } from './postgres-target.js';
import { ToolStartError } from './run-tool.js';

/** What one scripted restore did: the tools' exits and their stderr, for the caller's message. */
export interface ScriptRestoreResult {
  ok: boolean;
  /** Which tool failed first, when one did. */
  failedTool?: 'pg_restore' | 'psql';
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

const MAX_STDERR = 64 * 1024;

/** Schemas the dump creates itself (`SCHEMA - name` entries of `pg_restore --list`). Pure. */
export function schemasInToc(list: string): string[] {
  const names: string[] = [];
  for (const line of list.split('\n')) {
    const match = /^\d+;\s+\d+\s+\d+\s+SCHEMA\s+-\s+(\S+)\s/.exec(line);
    if (match?.[1]) names.push(match[1]);
  }
  return names;
}

/**
 * The SQL run before the dump's own script, in the same transaction: drop every covered schema
 * (with what is in it, extensions included) and the extensions and large objects of a whole-
 * database restore, then recreate `public` as PostgreSQL creates it when a whole-database dump
 * does not create it itself. Pure.
 */
export function restorePrelude(options: {
  covered: readonly string[];
  createdByDump: readonly string[];
  wholeDatabase: boolean;
  extensions: readonly string[];
  serverMajor: number;
  lockTimeoutMs: number;
}): string {
  const lines = [`SET lock_timeout = ${Math.max(0, Math.floor(options.lockTimeoutMs))};`];
  if (options.wholeDatabase) {
    for (const extension of options.extensions) lines.push(`DROP EXTENSION IF EXISTS ${quoteIdentifier(extension)} CASCADE;`);
    lines.push('SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata;');
  }
  for (const schema of options.covered) lines.push(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE;`);
  // A dump of named schemas creates each of them; a whole-database dump creates every schema
  // but `public`, which it expects to exist as PostgreSQL creates it (its ACL and comment are
  // dumped only when they differ from that).
  if (options.wholeDatabase && options.covered.includes('public') && !options.createdByDump.includes('public')) {
    lines.push(
      options.serverMajor >= 15 ? 'CREATE SCHEMA public AUTHORIZATION pg_database_owner;' : 'CREATE SCHEMA public;',
      options.serverMajor >= 15 ? 'GRANT USAGE ON SCHEMA public TO PUBLIC;' : 'GRANT ALL ON SCHEMA public TO PUBLIC;',
      "COMMENT ON SCHEMA public IS 'standard public schema';",
    );
  }
  lines.push('SET lock_timeout = 0;');
  return `${lines.join('\n')}\n`;
}

/**
 * Restores a custom-format dump as ONE transaction that the caller's prelude opens: `psql` reads
 * `BEGIN`, the prelude, `pg_restore --file=-`'s script (COPY data inline), and `COMMIT` — written
 * only once pg_restore has exited 0 and psql has not failed. If anything stops half way (a tool's
 * error, an abort, this process killed: psql then reads end of input without a COMMIT), the
 * server rolls the transaction back and the database is as it was.
 */
export function restoreByScript(options: {
  target: PostgresTarget;
  database?: string;
  dumpPath: string;
  prelude: string;
  pgRestorePath: string;
  psqlPath: string;
  signal?: AbortSignal;
}): Promise<ScriptRestoreResult> {
  return new Promise((resolvePromise, reject) => {
    const env = toolEnvironment(options.target);
    let stderr = '';
    const collect = (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_STDERR);
    };
    const psql = spawn(
      options.psqlPath,
      ['-X', '-q', '-w', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null', `--dbname=${toConninfo(options.target, options.database)}`, '-f', '-'],
      { env, stdio: ['pipe', 'ignore', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) },
    );
    const restore = spawn(options.pgRestorePath, ['--no-owner', '--file=-', options.dumpPath], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    psql.stderr.setEncoding('utf8').on('data', collect);
    restore.stderr.setEncoding('utf8').on('data', collect);
    let settled = false;
    let restoreExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let psqlExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finish = () => {
      if (settled || !psqlExit) return;
      settled = true;
      restore.kill('SIGTERM');
      if (psqlExit.code !== 0 || psqlExit.signal) {
        resolvePromise({ ok: false, failedTool: 'psql', exitCode: psqlExit.code, signal: psqlExit.signal, stderr });
      } else if (restoreExit?.code !== 0 || restoreExit.signal) {
        resolvePromise({
          ok: false,
          failedTool: 'pg_restore',
          exitCode: restoreExit?.code ?? null,
          signal: restoreExit?.signal ?? null,
          stderr,
        });
      } else {
        resolvePromise({ ok: true, exitCode: 0, signal: null, stderr });
      }
    };
    const startError = (command: string) => (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return;
      if (settled) return;
      settled = true;
      psql.kill('SIGKILL');
      restore.kill('SIGKILL');
      reject(new ToolStartError(command, error.code, error));
    };
    psql.on('error', startError(options.psqlPath));
    restore.on('error', startError(options.pgRestorePath));
    // A broken pipe (psql stopped on an error) is reported through psql's exit, not as a throw.
    psql.stdin.on('error', () => {});
    psql.stdin.write(`BEGIN;\n${options.prelude}`);
    restore.stdout.pipe(psql.stdin, { end: false });
    restore.on('close', (code, signal) => {
      restoreExit = { code, signal };
      if (code === 0 && !signal && !options.signal?.aborted) psql.stdin.end('\nCOMMIT;\n');
      else psql.stdin.end(); // end of input without COMMIT: the server rolls back
    });
    psql.on('close', (code, signal) => {
      psqlExit = { code, signal };
      if (restoreExit || settled) finish();
      else {
        // psql stopped first (an error in the script): stop pg_restore and report psql.
        restore.kill('SIGTERM');
        restore.once('close', finish);
      }
    });
  });
}
