import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { type LockHolder, redactSecrets } from '@strata/core';

/**
 * Who holds a SQLite database's migration lock, when that is strata: SQLite's write lock names
 * no owner, so a run writes a small label beside the database file (`<file>.strata-holder`,
 * JSON: pid, host, command, since) once it holds the lock, and removes it when it lets go. The
 * label is information only — the lock stays the database's own write lock — so a label left
 * by a crash is harmless: a waiter on the same host ignores one whose process is gone.
 */
export function holderFile(filename: string): string | undefined {
  return filename === ':memory:' || filename === '' || filename.startsWith('file:') ? undefined : `${filename}.strata-holder`;
}

function currentCommand(): string {
  const [, script, ...args] = process.argv;
  return redactSecrets([script ? basename(script) : 'node', ...args].join(' ')).slice(0, 200);
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return 'unknown';
  }
}

/** Writes this process's label (best effort: a read-only folder only costs the waiter its name). */
export function writeHolder(filename: string): void {
  const path = holderFile(filename);
  if (!path) return;
  const label: LockHolder = { pid: process.pid, host: safeHostname(), command: currentCommand(), since: new Date().toISOString() };
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(label)}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // nothing written
    }
  }
}

/** Removes the label if it is this process's. */
export function removeHolder(filename: string): void {
  const path = holderFile(filename);
  if (!path) return;
  const label = readLabel(path);
  if (label?.pid !== process.pid || label.host !== safeHostname()) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** The holder named by a label, unless it is stale (its process gone on this host) or absent. */
export function readHolder(filename: string): LockHolder | undefined {
  const path = holderFile(filename);
  const label = path ? readLabel(path) : undefined;
  if (!label) return undefined;
  if (label.host === safeHostname() && typeof label.pid === 'number' && !isAlive(label.pid)) return undefined;
  return label;
}

function readLabel(path: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const label: LockHolder = {};
    if (typeof value.pid === 'number') label.pid = value.pid;
    if (typeof value.host === 'string') label.host = value.host;
    if (typeof value.command === 'string') label.command = value.command;
    if (typeof value.since === 'string') label.since = value.since;
    return label;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
