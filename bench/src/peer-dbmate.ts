import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveBinary } from 'dbmate';
import { type MigrationSet, type Peer, type Target, peerVersion, seq } from './peer-types.js';

/** The Go binary the `dbmate` npm package ships for this platform (its `dbmate` bin is a Node wrapper around it). */
export function dbmateBinary(): string {
  return resolveBinary();
}

/** dbmate's file format: `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down`. */
export function writeDbmateFiles(set: MigrationSet, dir: string): void {
  mkdirSync(dir, { recursive: true });
  set.migrations.forEach((m, i) =>
    writeFileSync(join(dir, `${seq(i)}_${m.name}.sql`), `-- migrate:up\n${m.sql}\n\n-- migrate:down\n${m.down}\n`),
  );
}

export function dbmateUrl(target: Target): string {
  return target.dialect === 'postgres'
    ? `${target.url}${target.url.includes('?') ? '&' : '?'}sslmode=disable`
    : `sqlite:${target.filename}`;
}

export function dbmateArgs(target: Target, dir: string): string[] {
  return ['--url', dbmateUrl(target), '--migrations-dir', dir, '--no-dump-schema', 'up'];
}

/** Spawns a process and resolves with its stdout; rejects on a non-zero exit. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(0, 2000)}`)),
    );
  });
}

/** dbmate (Go binary), `up` with `--no-dump-schema`: each migration in its own transaction with its schema_migrations row. */
export const dbmatePeer: Peer = {
  name: `dbmate ${peerVersion('dbmate')} (Go binary, SQL files, tx each)`,
  node: false,
  dialects: ['postgres', 'sqlite'],
  prepare(set, dir) {
    writeDbmateFiles(set, dir);
    const binary = dbmateBinary();
    return async (target) => {
      const stdout = await run(binary, dbmateArgs(target, dir));
      return (stdout.match(/^Applying: /gm) ?? []).length;
    };
  },
};
