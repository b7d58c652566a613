import { pathToFileURL } from 'node:url';
import type { Stats } from 'node:fs';
import { checksum } from '../checksum.js';
import { isStrataError, StrataError } from '../errors.js';
import { type Migration, type MigrationDefinition, migrationId, type ResolvedBody } from '../migration.js';
import type { SqlFileCache, SqlFileFacts } from '../file-source.js';
import { resolveDefinition } from '../module-source.js';
import type { Problem } from '../problem.js';
import { parseSqlMigration } from '../sql-migration-file.js';
import { parseVersion } from '../version.js';
import { readMigrationText } from './read-migration-file.js';

/** One file of a version in the folder (the generic file, or one dialect's). */
export interface FileVariant {
  path: string;
  /** Its name in messages. */
  fileName: string;
  name: string;
  kind: 'sql' | 'script';
  /** Decoded canonical text (SQL and scripts alike: scripts are hashed by their text); undefined when `cached`. */
  text: string | undefined;
  /** What the cache vouched for of an unchanged SQL file, which was not read. */
  cached?: SqlFileFacts;
  /** With a cache, for a file that was read: its stat signature from before the read and its name in the folder. */
  stats?: Stats;
  cacheName?: string;
}

/** What building the migrations of a load needs besides the files. */
export interface FileLoadContext {
  module: string;
  problems: Problem[];
  cache: SqlFileCache | undefined;
  /** The size limit of the load (a deferred body reads its file later). */
  maxFileBytes: number;
}

/**
 * The migration of one version: one file, or a generic file and dialect files. SQL files are
 * parsed here; scripts are imported on first use.
 */
export function createFileMigration(version: string, variants: Map<string, FileVariant>, context: FileLoadContext): Migration | undefined {
  const { module, problems, cache } = context;
  const id = migrationId(module, version);
  const first = variants.get('') ?? variants.values().next().value!;
  for (const variant of variants.values()) {
    if (variant.name !== first.name) {
      problems.push({
        code: 'STRATA_DUPLICATE_VERSION',
        message: `Version ${id} has two names: ${first.fileName} and ${variant.fileName}`,
        hint: 'Dialect-specific files must share the generic file name: 1.2.0_add_users.postgres.sql',
        migrationId: id,
        file: variant.fileName,
      });
      return undefined;
    }
  }
  // SQL files are parsed now (unless the cache vouches for them): their directives decide
  // dependencies and transaction mode.
  const parsed = new Map<string, SqlFacts>();
  for (const [dialect, variant] of variants) {
    if (variant.kind !== 'sql') {
      const problem = uneditedScriptTemplate(variant, id);
      if (problem) {
        problems.push(problem);
        return undefined;
      }
      continue;
    }
    if (variant.cached) {
      const { checksum: remembered, dependsOn, transaction, hasDown } = variant.cached;
      parsed.set(dialect, { checksum: remembered, dependsOn, transaction, hasDown, body: undefined });
      continue;
    }
    try {
      const body = parseSqlMigration(variant.text!, variant.fileName);
      const facts: SqlFacts = {
        dependsOn: body.dependsOn,
        transaction: body.transaction,
        hasDown: body.down !== undefined,
        checksum: undefined,
        body,
      };
      if (cache && variant.stats) {
        facts.checksum = checksum(variant.text!);
        cache.remember(variant.cacheName!, variant.stats, {
          checksum: facts.checksum,
          dependsOn: facts.dependsOn,
          transaction: facts.transaction,
          hasDown: facts.hasDown,
        });
      }
      parsed.set(dialect, facts);
    } catch (error) {
      if (!isStrataError(error)) throw error;
      problems.push({ code: error.code, message: error.message, hint: error.hint, migrationId: id, file: variant.fileName });
      return undefined;
    }
  }
  // Made on first use: a thousand SQL migrations need neither map.
  let scripts: Map<string, Promise<MigrationDefinition>> | undefined;
  const scriptImports = () => (scripts ??= new Map());

  /** The migration as one file says it: its own directives, body, checksum and name in messages. */
  const variantMigration = (key: string, variant: FileVariant): Migration => {
    const sql = parsed.get(key);
    let resolved: ResolvedBody | undefined;
    const resolveVariant = async (dialect: string): Promise<ResolvedBody> => {
      if (resolved && (sql || key !== '')) return resolved;
      let body: ResolvedBody;
      if (sql?.body) {
        body = {
          up: sql.body.up,
          down: sql.body.down,
          checksumText: variant.text!,
          upLine: sql.body.upLine,
          ...(sql.body.foreignKeys ? {} : { foreignKeys: false }),
          ...(sql.body.downLine === undefined ? {} : { downLine: sql.body.downLine }),
          ...(sql.checksum === undefined ? {} : { checksum: sql.checksum }),
        };
      } else if (sql) {
        body = deferredSqlBody(variant, sql.checksum!, sql.hasDown, id, cache, context.maxFileBytes);
      } else {
        let definition = scriptImports().get(key);
        if (!definition) scriptImports().set(key, (definition = importScript(variant, id)));
        const resolvedDefinition = resolveDefinition(id, variant.fileName, await definition, dialect);
        body = { ...resolvedDefinition, checksumText: variant.text! };
      }
      // A generic script may pick a body per dialect (`{ postgres, default }`): cached per file only
      // for SQL and dialect files, whose body is the same whatever the dialect.
      if (sql || key !== '') resolved = body;
      return body;
    };
    const migration: { -readonly [K in keyof Migration]: Migration[K] } = {
      id,
      module,
      version: parseVersion(version),
      name: variant.name,
      dependsOn: sql?.dependsOn ?? [],
      file: variant.fileName,
      transaction: sql?.transaction ?? true,
      hasDown: sql?.hasDown,
      resolve: resolveVariant,
    };
    if (!sql) migration.load = () => loadScript(variant, key, scriptImports(), id);
    return migration;
  };

  // Each file is its own migration on the dialects it serves: a `.postgres.sql` file brings its own
  // directives, body and checksum, and is the file named in messages on PostgreSQL.
  const byDialect = new Map<string, Migration>();
  for (const [key, variant] of variants) byDialect.set(key, variantMigration(key, variant));
  const generic = byDialect.get('');
  const headline = generic ?? byDialect.values().next().value!;
  const forDialect = (dialect: string): Migration | null => byDialect.get(dialect) ?? generic ?? null;
  const dialects = generic ? undefined : [...variants.keys()];
  return {
    ...headline,
    forDialect,
    ...(dialects ? { dialects } : {}),
    resolve: async (dialect: string): Promise<ResolvedBody> => {
      const chosen = forDialect(dialect);
      if (!chosen) {
        throw new StrataError('STRATA_INVALID_MIGRATION', `Migration ${id} has no file for dialect ${dialect}`, {
          hint: `Add ${version}_${first.name}.sql (for every dialect) or ${version}_${first.name}.${dialect}.sql`,
          details: { migrationId: id, file: first.fileName },
        });
      }
      return chosen.resolve(dialect);
    },
  };
}

/** The up placeholder of `strata new --ts`: an up that executes only this comment is unedited. */
const UNEDITED_TS_UP = /up:\s*async\s*\(\{\s*execute\s*\}\)\s*=>\s*\{\s*await\s+execute\(`\s*-- write the change here\s*`\);?\s*\}/;

/**
 * An unedited `strata new --ts` file is refused as the SQL template is (its up section is empty),
 * rather than recorded as an applied no-op.
 */
function uneditedScriptTemplate(variant: FileVariant, id: string): Problem | undefined {
  if (variant.text === undefined || !variant.text.includes('-- write the change here') || !UNEDITED_TS_UP.test(variant.text))
    return undefined;
  return {
    code: 'STRATA_INVALID_MIGRATION',
    message: `${variant.fileName}: the up function is the unedited template of \`strata new --ts\` (it executes only a comment)`,
    hint: 'Write the change in up (or delete the file)',
    migrationId: id,
    file: variant.fileName,
  };
}

/** A SQL file's directives and checksum, and its parsed body when the file was read this run. */
interface SqlFacts {
  dependsOn: string[];
  transaction: boolean;
  hasDown: boolean;
  checksum: string | undefined;
  body: ReturnType<typeof parseSqlMigration> | undefined;
}

/**
 * The body of a SQL file the cache vouched for: checksum and `hasDown` known, the text read (and
 * checked against the remembered checksum) only when a run, a plan or an error message needs it.
 * Its SQL fields are own enumerable getters, so a copy (`{ ...body }`) reads the file and carries
 * them like any other body.
 */
function deferredSqlBody(
  variant: FileVariant,
  remembered: string,
  hasDown: boolean,
  id: string,
  cache: SqlFileCache | undefined,
  limit: number,
): ResolvedBody {
  let loaded: { text: string; sql: ReturnType<typeof parseSqlMigration> } | undefined;
  const load = () => {
    if (loaded) return loaded;
    const problems: Problem[] = [];
    const text = readMigrationText(variant.path, variant.fileName, problems, limit);
    if (text === undefined) {
      const problem = problems[0]!;
      throw new StrataError(problem.code, problem.message, {
        ...(problem.hint ? { hint: problem.hint } : {}),
        details: { migrationId: id, file: variant.fileName },
      });
    }
    const now = checksum(text);
    if (now !== remembered) {
      // Edited during the run, or a cache entry that was wrong: either way the cache goes, so the
      // next run reads and hashes every file again.
      cache?.clear();
      throw new StrataError(
        'STRATA_CHECKSUM_MISMATCH',
        `${variant.fileName} does not hold the text strata checked (${remembered}, now ${now}): it changed during the run, or the checksum cache was stale`,
        {
          hint: 'The checksum cache has been cleared: run the command again (strata validate reads every file)',
          details: { migrationId: id, file: variant.fileName, checked: remembered, current: now, cache: true },
        },
      );
    }
    loaded = { text, sql: parseSqlMigration(text, variant.fileName) };
    return loaded;
  };
  return {
    checksum: remembered,
    hasDown,
    get up() {
      return load().sql.up;
    },
    get down() {
      return load().sql.down;
    },
    get checksumText() {
      return load().text;
    },
    get upLine() {
      return load().sql.upLine;
    },
    get downLine() {
      return load().sql.downLine;
    },
    get foreignKeys() {
      return load().sql.foreignKeys;
    },
  };
}

/** Script migrations: import once to learn dependsOn / transaction / down. */
async function loadScript(
  variant: FileVariant,
  key: string,
  scripts: Map<string, Promise<MigrationDefinition>>,
  id: string,
): Promise<MigrationDefinition> {
  let definition = scripts.get(key);
  if (!definition) scripts.set(key, (definition = importScript(variant, id)));
  return definition;
}

let jitiInstance: Promise<{ import: (id: string, options?: { default?: true }) => Promise<unknown> }> | undefined;

async function importScript(variant: FileVariant, id: string): Promise<MigrationDefinition> {
  let exported: unknown;
  try {
    if (/\.(m?js)$/.test(variant.path)) {
      exported = ((await import(pathToFileURL(variant.path).href)) as { default?: unknown }).default;
    } else {
      jitiInstance ??= import('jiti').then(({ createJiti }) => createJiti(import.meta.url, { moduleCache: false }));
      exported = await (await jitiInstance).import(pathToFileURL(variant.path).href, { default: true });
    }
  } catch (error) {
    throw new StrataError(
      'STRATA_INVALID_MIGRATION',
      `Migration ${id}: ${variant.fileName} could not be loaded: ${(error as Error).message}`,
      {
        hint: 'Fix the error in the file; it must default-export defineMigration({ up, down })',
        cause: error,
        details: { migrationId: id, file: variant.fileName },
      },
    );
  }
  if (typeof exported !== 'object' || exported === null || !('up' in exported)) {
    throw new StrataError('STRATA_INVALID_MIGRATION', `Migration ${id}: ${variant.fileName} has no default export with an up`, {
      hint: 'export default defineMigration({ up: async (ctx) => { … }, down: … })',
      details: { migrationId: id, file: variant.fileName },
    });
  }
  return exported as MigrationDefinition;
}
