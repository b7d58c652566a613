import { stat } from 'node:fs/promises';
import {
  backupError,
  backupInterruptedError as interruptedError,
  type BackupProvider,
  IDENTIFIER_PATTERN,
  isStrataError,
  redactSecrets,
  StrataError,
} from '@strata/core';
import { firstLine, quoteIdentifier, runSql } from './postgres-sql.js';
import {
  describeTarget,
  parsePostgresUrl,
  secretsOf,
  targetFromConfig,
  targetIdentity,
  toConninfo,
  toolEnvironment,
  type PostgresConnectionConfig,
  type PostgresTarget,
} from './postgres-target.js';
import { restoreByScript, restorePrelude, schemasInToc, type ScriptRestoreResult } from './postgres-restore.js';
import { runTool, ToolStartError, type ToolResult } from './run-tool.js';

export type { PostgresConnectionConfig } from './postgres-target.js';

/** Options for {@link createPostgresBackupProvider}: `connectionString` or `connection`. */
export interface PostgresBackupProviderOptions {
  /** `postgres://user:password@host:5432/db?sslmode=require`. The password never reaches argv. */
  connectionString?: string;
  /** pg-style connection fields, instead of a URL. */
  connection?: PostgresConnectionConfig;
  /**
   * Back up only these schemas (one `--schema` each, matched exactly). Names follow strata's
   * identifier rule.
   * @default every schema of the database
   */
  schemas?: readonly string[];
  /** @default 'pg_dump' (found on PATH) */
  pgDumpPath?: string;
  /** @default 'pg_restore' (found on PATH) */
  pgRestorePath?: string;
  /** Used for SQL (server version, CREATE DATABASE) when the `pg` package is not installed. @default 'psql' */
  psqlPath?: string;
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * One row `<user objects> <bytes>`: relations, sequences, views, routines, types and extensions
 * (plpgsql aside) outside the system schemas, strata's own tables aside; and the size of the
 * covered schemas' relations, or of the whole database.
 */
function measureSql(schemas: readonly string[], ignoreTables: readonly string[]): string {
  const system = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";
  const covered = schemas.length ? ` AND n.nspname IN (${schemas.map(literal).join(', ')})` : '';
  const names = ignoreTables.map(literal).join(', ');
  // strata's tables and what belongs to them (an identity column's sequence).
  const ignored = ignoreTables.length
    ? ` AND c.relname NOT IN (${names}) AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') AND o.relname IN (${names}))`
    : '';
  const objects = [
    `(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${system}${covered} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')${ignored})`,
    `(SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${system}${covered} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e'))`,
    `(SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${system}${covered} AND t.typtype IN ('e', 'd', 'r', 'm') AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e'))`,
    `(SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')`,
  ].join(' + ');
  const bytes = schemas.length
    ? `(SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') ${covered})`
    : 'pg_database_size(current_database())';
  return `SELECT (${objects})::text || ' ' || (${bytes})::text`;
}

/** How long an in-place restore waits for the locks on the objects it drops (other sessions' locks). */
export const DEFAULT_RESTORE_LOCK_TIMEOUT_MS = 60_000;

/** Parses `pg_dump (PostgreSQL) 15.4 (Debian …)` → 15. Pure. */
export function parseToolMajorVersion(output: string): number | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output) ?? /\b(\d+)\.(\d+)/.exec(output);
  if (!match?.[1]) return undefined;
  const major = Number(match[1]);
  // Before PostgreSQL 10 the major version had two parts (9.6).
  return major < 10 && match[2] !== undefined ? Number(`${major}.${match[2]}`) : major;
}

/** `server_version_num` (150004) → 15. Pure. */
export function serverMajorVersion(versionNum: number): number {
  // 150004 → 15; before PostgreSQL 10 the major had two parts: 90624 → 9.6.
  return versionNum >= 100_000
    ? Math.floor(versionNum / 10_000)
    : Math.floor(versionNum / 10_000) + (Math.floor(versionNum / 100) % 100) / 10;
}

/**
 * Backs up a PostgreSQL database with `pg_dump --format=custom` and restores it with
 * `pg_restore`. Before a dump, pg_dump's major version is compared with the server's: an older
 * pg_dump cannot dump a newer server faithfully, so it is refused before anything runs. The
 * password is given to the tools through `PGPASSWORD` in their environment, never on their
 * command line (which any local user can read in `ps`).
 * @example
 * const provider = createPostgresBackupProvider({ connectionString: process.env.DATABASE_URL, schemas: ['public'] });
 */
export function createPostgresBackupProvider(options: PostgresBackupProviderOptions): BackupProvider {
  let target: PostgresTarget;
  try {
    if (options.connectionString !== undefined) target = parsePostgresUrl(options.connectionString);
    else if (options.connection) target = targetFromConfig(options.connection);
    else throw new Error('give connectionString or connection');
  } catch (error) {
    throw new StrataError('STRATA_CONFIG_INVALID', `The PostgreSQL backup target is invalid: ${(error as Error).message}`, {
      hint: 'Use a URL such as postgres://user@host:5432/database',
    });
  }
  const schemas = [...(options.schemas ?? [])];
  for (const schema of schemas) {
    if (!IDENTIFIER_PATTERN.test(schema)) {
      throw new StrataError('STRATA_CONFIG_INVALID', `The schema name ${JSON.stringify(schema)} is not a valid identifier`, {
        hint: 'Schema names must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$',
      });
    }
  }
  const pgDump = options.pgDumpPath ?? 'pg_dump';
  const pgRestore = options.pgRestorePath ?? 'pg_restore';
  const psql = options.psqlPath ?? 'psql';
  const secrets = [...secretsOf(target), ...(process.env.PGPASSWORD ? [process.env.PGPASSWORD] : [])];
  const description = describeTarget(target) + (schemas.length ? ` (schemas ${schemas.join(', ')})` : '');
  const env = () => toolEnvironment(target);

  /** Runs a libpq tool, turning "not found" into a clear error. */
  async function tool(command: string, name: string, args: string[], signal?: AbortSignal): Promise<ToolResult> {
    try {
      return await runTool(command, args, { env: env(), captureStdout: true, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (error instanceof ToolStartError) {
        throw backupError(`${name} could not be started (${command}${error.errno ? `: ${error.errno}` : ''})`, {
          hint: `Install the PostgreSQL client tools (apt-get install postgresql-client, brew install libpq) or point strata at it: backup.pgDumpPath in strata.config (its folder's pg_restore and psql come with it), or the ${name === 'pg_dump' ? 'pgDumpPath' : name === 'pg_restore' ? 'pgRestorePath' : 'psqlPath'} option of createPostgresBackupProvider`,
          cause: error,
          details: { tool: name, path: command },
        });
      }
      throw error;
    }
  }

  function failed(name: string, result: ToolResult, what: string, hint: string, signal?: AbortSignal): StrataError {
    if (signal?.aborted || result.signal === 'SIGTERM') return interruptedError(what);
    const status = result.exitCode === null ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
    const reason =
      result.signal === 'SIGXFSZ'
        ? 'the file-size limit (ulimit -f) was exceeded'
        : result.stderr.trim()
          ? firstLine(result.stderr)
          : 'no message';
    return backupError(`${name} failed for ${description} (${status}): ${reason}`, {
      hint,
      secrets,
      details: { tool: name, exitCode: result.exitCode, stderr: result.stderr.trim() },
    });
  }

  const sql = (statement: string, database?: string, signal?: AbortSignal) =>
    runSql(target, statement, { psqlPath: psql, secrets, ...(database ? { database } : {}), ...(signal ? { signal } : {}) });

  return {
    dialect: 'postgres',
    database: description,
    identity: targetIdentity(target, schemas),
    extension: 'dump',

    async measure({ ignoreTables = [], signal } = {}) {
      const [line] = await sql(measureSql(schemas, ignoreTables), undefined, signal);
      const [objects, bytes] = (line ?? '').split(' ').map(Number);
      if (!Number.isFinite(objects) || !Number.isFinite(bytes))
        throw backupError(`Cannot measure ${description}: unexpected answer ${JSON.stringify(line)}`, { secrets });
      return { bytes: bytes!, empty: objects === 0 };
    },

    async check({ signal } = {}) {
      const version = await tool(pgDump, 'pg_dump', ['--version'], signal);
      const toolMajor = parseToolMajorVersion(version.stdout + version.stderr);
      if (version.exitCode !== 0 || toolMajor === undefined) {
        throw backupError(`${pgDump} --version did not report a PostgreSQL version`, {
          hint: 'Point backup.pgDumpPath (strata.config) or the pgDumpPath option at a real pg_dump executable',
          secrets,
          details: { tool: 'pg_dump', path: pgDump, stderr: version.stderr.trim() },
        });
      }
      const [versionNum] = await sql('SHOW server_version_num', undefined, signal);
      const serverMajor = serverMajorVersion(Number(versionNum));
      if (!Number.isFinite(serverMajor)) {
        throw backupError(`Cannot read the server version of ${describeTarget(target)}`, { secrets });
      }
      if (toolMajor < serverMajor) {
        throw backupError(
          `pg_dump ${toolMajor} (${pgDump}) is older than the PostgreSQL ${serverMajor} server at ${describeTarget(target)}`,
          {
            hint: `Install pg_dump ${serverMajor} or newer (postgresql-client-${serverMajor}) and put it on PATH, or set backup.pgDumpPath in strata.config (the pgDumpPath option in code)`,
            secrets,
            details: { tool: 'pg_dump', toolMajor, serverMajor },
          },
        );
      }
    },

    async create(tempPath, { signal, onProgress }) {
      const args = [
        '--format=custom',
        '--no-password',
        `--file=${tempPath}`,
        ...schemas.map((schema) => `--schema=${quoteIdentifier(schema)}`),
        `--dbname=${toConninfo(target)}`,
      ];
      const timer = onProgress
        ? setInterval(() => {
            stat(tempPath).then(
              (s) => onProgress({ stage: 'copy', done: s.size, unit: 'bytes' }),
              () => {},
            );
          }, 500)
        : undefined;
      try {
        const result = await tool(pgDump, 'pg_dump', args, signal);
        if (result.exitCode !== 0) {
          throw failed(
            'pg_dump',
            result,
            `The backup of ${description}`,
            "Check the connection, the schema names and the free space in the backup directory (details.stderr holds pg_dump's full output); nothing was kept",
            signal,
          );
        }
      } finally {
        if (timer) clearInterval(timer);
      }
    },

    async verify(path, { signal } = {}) {
      try {
        const result = await tool(pgRestore, 'pg_restore', ['--list', path], signal);
        return result.exitCode === 0
          ? { ok: true, detail: 'pg_restore --list ok' }
          : { ok: false, detail: `pg_restore --list failed: ${firstLine(result.stderr)}` };
      } catch (error) {
        if (isStrataError(error)) return { ok: false, detail: error.message };
        throw error;
      }
    },

    async restore(path, { into, signal, lockTimeoutMs = DEFAULT_RESTORE_LOCK_TIMEOUT_MS }) {
      const [versionNum] = await sql('SHOW server_version_num', undefined, signal);
      const serverMajor = serverMajorVersion(Number(versionNum));
      const scriptRestore = async (where: PostgresTarget, database: string | undefined, prelude: string, hint: string) => {
        let result: ScriptRestoreResult;
        try {
          result = await restoreByScript({
            target: where,
            ...(database ? { database } : {}),
            dumpPath: path,
            prelude,
            pgRestorePath: pgRestore,
            psqlPath: psql,
            ...(signal ? { signal } : {}),
          });
        } catch (error) {
          if (error instanceof ToolStartError) {
            throw backupError(`${error.command} could not be started${error.errno ? ` (${error.errno})` : ''}`, {
              hint: 'Install the PostgreSQL client tools (apt-get install postgresql-client, brew install libpq), or set pgRestorePath and psqlPath',
              cause: error,
              secrets,
            });
          }
          throw error;
        }
        if (!result.ok) {
          const tool = result.failedTool ?? 'psql';
          throw failed(
            tool,
            { exitCode: result.exitCode, signal: result.signal, stdout: '', stderr: result.stderr },
            `The restore into ${describeTarget(where, database)}`,
            hint,
            signal,
          );
        }
      };

      if (into === undefined) {
        // In place: the covered schemas are dropped and rebuilt from the dump in ONE transaction,
        // so they hold exactly what they held at backup time, or (on any failure) what they held before.
        const toc = await tool(pgRestore, 'pg_restore', ['--list', path], signal);
        if (toc.exitCode !== 0)
          throw failed('pg_restore', toc, `Reading the backup ${path}`, 'The backup could not be read; nothing was changed', signal);
        const createdByDump = schemasInToc(toc.stdout);
        const wholeDatabase = schemas.length === 0;
        const live = wholeDatabase
          ? await sql(
              "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1",
              undefined,
              signal,
            )
          : [];
        const covered = wholeDatabase ? [...new Set(['public', ...live, ...createdByDump])] : schemas;
        const extensions = wholeDatabase
          ? await sql("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1", undefined, signal)
          : [];
        const prelude = restorePrelude({ covered, createdByDump, wholeDatabase, extensions, serverMajor, lockTimeoutMs });
        await scriptRestore(
          target,
          undefined,
          prelude,
          'The restore ran in one transaction and was rolled back: the database is unchanged. Fix the cause named above and retry',
        );
        return { target: describeTarget(target) };
      }

      // Into another database: a name on this server, or a URL.
      let where = target;
      let database = into;
      if (/^postgres(ql)?:\/\//i.test(into)) {
        try {
          where = parsePostgresUrl(into);
        } catch (error) {
          throw backupError(`Cannot restore into ${redactSecrets(into)}: ${(error as Error).message}`, {
            hint: 'Give a database name (app_copy) or a URL postgres://user@host:5432/app_copy',
          });
        }
        database = where.database ?? '';
        secrets.push(...secretsOf(where));
      }
      if (!database || !IDENTIFIER_PATTERN.test(database)) {
        throw backupError(`Cannot restore into ${JSON.stringify(redactSecrets(into))}: not a PostgreSQL database name or URL`, {
          hint: 'Give a database name matching ^[A-Za-z_][A-Za-z0-9_]{0,62}$ (app_copy) or a URL postgres://user@host:5432/app_copy',
          secrets,
        });
      }
      const admin = where === target ? undefined : 'postgres';
      const whereSql = (statement: string, db?: string) =>
        runSql(where, statement, { psqlPath: psql, secrets, ...(db ? { database: db } : {}), ...(signal ? { signal } : {}) });
      const exists = (await whereSql(`SELECT count(*) FROM pg_database WHERE datname = ${literal(database)}`, admin))[0] === '1';
      if (exists) {
        const [line] = await whereSql(measureSql([], []), database);
        const objects = Number((line ?? '').split(' ')[0]);
        if (objects !== 0) {
          throw backupError(
            `Cannot restore into ${describeTarget(where, database)}: the database exists and is not empty (${objects} object${objects === 1 ? '' : 's'})`,
            {
              hint: 'Restore into a new database name (it is created), or into an empty database; to replace this database restore in place with --url pointing at it',
              secrets,
            },
          );
        }
        await scriptRestore(
          where,
          database,
          '',
          `The restore ran in one transaction and was rolled back: ${database} is still empty. Fix the cause named above and retry`,
        );
        return { target: describeTarget(where, database) };
      }
      await whereSql(`CREATE DATABASE ${quoteIdentifier(database)} TEMPLATE template0`, admin);
      try {
        await scriptRestore(where, database, '', `The new database ${database} was dropped again; fix the cause named above and retry`);
      } catch (error) {
        await runSql(where, `DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`, {
          psqlPath: psql,
          secrets,
          ...(admin ? { database: admin } : {}),
        }).catch(() => {});
        throw error;
      }
      return { target: describeTarget(where, database) };
    },
  };
}
