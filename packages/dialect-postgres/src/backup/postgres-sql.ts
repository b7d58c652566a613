import { backupError, describeBackupError as describeError } from '@strata/core';
import { loadPgClient } from './load-pg.js';
import { describeTarget, toConninfo, toolEnvironment, toPgConfig, type PostgresTarget } from './postgres-target.js';
import { runTool, ToolStartError } from './run-tool.js';

/**
 * Runs one SQL statement and returns the first column of each row as text. Uses `pg` when it is
 * installed (an optional peer) and `psql` otherwise, so the backup package needs no driver of
 * its own. The password goes to pg's config or to psql's PGPASSWORD, never to argv.
 */
export async function runSql(
  target: PostgresTarget,
  sql: string,
  options: { database?: string; psqlPath: string; secrets: readonly string[]; signal?: AbortSignal; via?: 'pg' | 'psql' },
): Promise<string[]> {
  const database = options.database ?? target.database;
  const Client = options.via === 'psql' ? undefined : await loadPgClient();
  if (Client) {
    const client = new Client(toPgConfig(target, database));
    client.on('error', () => {});
    try {
      await client.connect();
      const result = await client.query<Record<string, unknown>>(sql);
      return result.rows.map((row) => String(Object.values(row)[0] ?? ''));
    } catch (error) {
      throw backupError(`PostgreSQL at ${describeTarget(target, database)} refused "${sql}": ${describeError(error, options.secrets)}`, {
        hint: 'Check the connection URL, that the server is up and that the user may do this',
        cause: error,
        secrets: options.secrets,
        details: pgDetails(error),
      });
    } finally {
      await client.end().catch(() => {});
    }
  }
  try {
    const result = await runTool(
      options.psqlPath,
      ['-X', '-A', '-t', '-q', '-w', '-v', 'ON_ERROR_STOP=1', `--dbname=${toConninfo(target, database)}`, '-c', sql],
      { env: toolEnvironment(target), captureStdout: true, ...(options.signal ? { signal: options.signal } : {}) },
    );
    if (result.exitCode !== 0) {
      throw backupError(`psql could not run "${sql}" on ${describeTarget(target, database)}: ${firstLine(result.stderr)}`, {
        hint: 'Check the connection URL, that the server is up and that the user may do this',
        secrets: options.secrets,
        details: { stderr: result.stderr.trim() },
      });
    }
    return result.stdout.split('\n').filter((line) => line !== '');
  } catch (error) {
    if (error instanceof ToolStartError) {
      throw backupError(`Neither the pg package nor psql (${options.psqlPath}) is available to query PostgreSQL`, {
        hint: 'Install pg (npm install pg) or postgresql-client, or set psqlPath',
        cause: error,
      });
    }
    throw error;
  }
}

/** The first non-empty line of a tool's stderr (its error, usually). */
export function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.find((line) => /error|fatal/i.test(line)) ?? lines[0] ?? '(no message)';
}

function pgDetails(error: unknown): Record<string, unknown> {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? { sqlState: code } : {};
}

/** Quotes an identifier for SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
