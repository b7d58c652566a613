import { canonicalText } from './checksum.js';
import { StrataError } from './errors.js';
import {
  assertModuleName,
  type DialectBodies,
  type Migration,
  type MigrationBody,
  type MigrationDefinition,
  migrationId,
  type ResolvedBody,
} from './migration.js';
import type { MigrationSource, SourceLoadResult } from './migration-source.js';
import type { Problem } from './problem.js';
import { parseVersion, versionProblem } from './version.js';

/** One migration of an in-memory module. */
export interface ModuleMigrationDefinition extends MigrationDefinition {
  /** Strict SemVer version, unique in the module. */
  version: string;
  /** Slug for people (`initial_schema`). */
  name: string;
}

/** Input of {@link defineModule}. */
export interface MigrationModuleDefinition {
  /** Module name: `^[a-z][a-z0-9_-]{0,62}$`. */
  name: string;
  migrations: readonly ModuleMigrationDefinition[];
}

/** A module of migrations that ships in code (a package); it is its own {@link MigrationSource}. */
export interface MigrationModule extends MigrationSource {
  readonly kind: 'strata-module';
  readonly name: string;
  readonly definitions: readonly ModuleMigrationDefinition[];
}

/**
 * Declares a module of migrations kept in memory, with optional per-dialect bodies; this is how
 * `@strata/core-schema` ships.
 * @example
 * export const billing = defineModule({
 *   name: 'billing',
 *   migrations: [{ version: '1.0.0', name: 'invoices', up: 'CREATE TABLE invoices (id int)', down: 'DROP TABLE invoices' }],
 * });
 */
export function defineModule(definition: MigrationModuleDefinition): MigrationModule {
  assertModuleName(definition.name);
  return {
    kind: 'strata-module',
    name: definition.name,
    definitions: definition.migrations,
    description: `module ${definition.name}`,
    load: async () => loadModule(definition),
  };
}

/** True for a value made by {@link defineModule} (checked structurally, across copies of core). */
export function isMigrationModule(value: unknown): value is MigrationModule {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'strata-module';
}

function loadModule(definition: MigrationModuleDefinition): SourceLoadResult {
  const migrations: Migration[] = [];
  const problems: Problem[] = [];
  const where = `module ${definition.name}`;
  for (const item of definition.migrations) {
    const problem = versionProblem(item.version);
    if (problem) {
      problems.push({
        code: 'STRATA_INVALID_VERSION',
        message: `Invalid version ${JSON.stringify(item.version)} in ${where}: ${problem}`,
        file: where,
      });
      continue;
    }
    const id = migrationId(definition.name, item.version);
    const cache = new Map<string, ResolvedBody>();
    migrations.push({
      id,
      module: definition.name,
      version: parseVersion(item.version),
      name: item.name,
      dependsOn: item.dependsOn ?? [],
      file: where,
      transaction: item.transaction ?? true,
      hasDown: item.down !== undefined,
      resolve: async (dialect) => {
        let body = cache.get(dialect);
        if (!body) {
          body = resolveDefinition(id, where, item, dialect);
          cache.set(dialect, body);
        }
        return body;
      },
    });
  }
  return { migrations, problems };
}

/** Picks the body for a dialect from a body or a per-dialect map (`default` for the rest). */
export function pickBody(body: MigrationBody | DialectBodies | undefined, dialect: string): MigrationBody | undefined | null {
  if (body === undefined) return undefined;
  if (typeof body === 'string' || typeof body === 'function') return body;
  const picked = body[dialect] ?? body.default;
  return picked === undefined ? null : picked;
}

/** Resolves a definition for one dialect; the checksum text covers both up and down. */
export function resolveDefinition(id: string, file: string, definition: MigrationDefinition, dialect: string): ResolvedBody {
  const up = pickBody(definition.up, dialect);
  if (up === null || up === undefined) {
    throw new StrataError('STRATA_INVALID_MIGRATION', `Migration ${id} (${file}) has no up body for dialect ${dialect}`, {
      hint: `Add a "${dialect}" or "default" entry to its up bodies`,
      details: { migrationId: id, file },
    });
  }
  const down = pickBody(definition.down, dialect);
  if (down === null) {
    throw new StrataError('STRATA_INVALID_MIGRATION', `Migration ${id} (${file}) has no down body for dialect ${dialect}`, {
      hint: `Add a "${dialect}" or "default" entry to its down bodies, or remove down entirely`,
      details: { migrationId: id, file },
    });
  }
  const text = (b: MigrationBody) => (typeof b === 'string' ? b : b.toString());
  const checksumText = canonicalText(`${text(up)}\n-- strata:down\n${down === undefined ? '' : text(down)}`);
  return { up, down, checksumText, ...(definition.foreignKeys === false ? { foreignKeys: false } : {}) };
}
