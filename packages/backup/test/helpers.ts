import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';

export const require = createRequire(import.meta.url);
export const Database = require('better-sqlite3') as typeof BetterSqlite3;
/** better-sqlite3 as resolved from this package, for child processes. */
export const BETTER_SQLITE3_PATH = require.resolve('better-sqlite3');
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A fresh temp directory, removed by the returned function. */
export function tempDir(prefix = 'strata-backup-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Per test: a fresh temp folder (`path`) and the concurrent writer the test may start (`writer`),
 * killed and removed after the test.
 */
export function perTestFolder(): { readonly path: string; writer: ChildProcess | undefined } {
  let dir: ReturnType<typeof tempDir> | undefined;
  const scratch = {
    get path(): string {
      return dir!.path;
    },
    writer: undefined as ChildProcess | undefined,
  };
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    scratch.writer?.kill('SIGKILL');
    scratch.writer = undefined;
    dir?.remove();
  });
  return scratch;
}

/** Schema and rows of a SQLite file, for before/after comparisons. */
export function snapshotSqlite(filename: string): { schema: unknown[]; rows: Record<string, unknown[]> } {
  const db = new Database(filename, { readonly: true, fileMustExist: true });
  try {
    const schema = db
      .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all() as { type: string; name: string }[];
    const rows: Record<string, unknown[]> = {};
    for (const entry of schema.filter((e) => e.type === 'table')) {
      rows[entry.name] = db.prepare(`SELECT * FROM "${entry.name}" ORDER BY rowid`).all();
    }
    return { schema, rows };
  } finally {
    db.close();
  }
}

/** Creates a small SQLite database with a table, an index, a view and rows. */
export function createSampleSqlite(filename: string, options: { wal?: boolean; rows?: number } = {}): void {
  const db = new Database(filename);
  if (options.wal) db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
    CREATE INDEX users_name ON users (name);
    CREATE VIEW user_emails AS SELECT email FROM users;
  `);
  const insert = db.prepare('INSERT INTO users (email, name) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < (options.rows ?? 50); i += 1) insert.run(`user${i}@example.com`, `User ${i}`);
  })();
  db.close();
}

/**
 * Starts `script` (CommonJS, given BETTER_SQLITE3 and DB_FILE in its environment) in another
 * process writing to `dbFile`, and resolves once it prints "ready".
 */
export async function startWriter(script: string, dbFile: string): Promise<ChildProcess> {
  const writer = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, BETTER_SQLITE3: BETTER_SQLITE3_PATH, DB_FILE: dbFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('writer not ready after 30 s')), 30_000);
      writer.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && (clearTimeout(timer), resolve()));
      writer.on('exit', (code) => (clearTimeout(timer), reject(new Error(`writer exited with ${code}`))));
    });
  } catch (error) {
    writer.kill('SIGKILL');
    throw error;
  }
  return writer;
}
