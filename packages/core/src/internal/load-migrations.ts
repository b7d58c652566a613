import { checksum } from '../checksum.js';
import { isStrataError } from '../errors.js';
import type { Migration, ResolvedBody } from '../migration.js';
import type { MigrationSource } from '../migration-source.js';
import type { PlannableMigration, PreparedMigrations } from '../planner.js';
import type { Problem } from '../problem.js';
import type { Version } from '../version.js';

/** A migration resolved for one dialect: what the planner needs plus the body to run. */
export interface LoadedMigration extends PlannableMigration {
  source: Migration;
  body: ResolvedBody | undefined;
}

/** A migration that exists for other dialects only (`1.2.0_gin.postgres.sql` and no `1.2.0_gin.sql`). */
export interface NotApplicableMigration {
  id: string;
  module: string;
  version: Version;
  name: string;
  file: string | undefined;
  /** The dialects it exists for. */
  dialects: readonly string[];
}

export interface LoadedMigrations {
  /** The dialect the migrations were resolved for. */
  dialect: string;
  migrations: LoadedMigration[];
  /** Migrations that do not exist on this dialect: shown as not applicable, never planned. */
  notApplicable: NotApplicableMigration[];
  byId: Map<string, LoadedMigration>;
  problems: Problem[];
  /** The planner's state-independent part, filled by the migrator on first use. */
  prepared?: PreparedMigrations;
}

/** Loads every source, imports script migrations, resolves bodies for `dialect` and hashes them. */
export async function loadMigrations(sources: readonly MigrationSource[], dialect: string): Promise<LoadedMigrations> {
  const results = await Promise.all(sources.map((source) => source.load()));
  const problems: Problem[] = [];
  const migrations: LoadedMigration[] = [];
  const notApplicable: NotApplicableMigration[] = [];
  for (const result of results) {
    problems.push(...result.problems);
    for (const listed of result.migrations) {
      // A source with per-dialect files gives the migration as the file that runs here says it.
      const source = listed.forDialect ? listed.forDialect(dialect) : listed;
      if (source === null) {
        notApplicable.push({
          id: listed.id,
          module: listed.module,
          version: listed.version,
          name: listed.name,
          file: listed.file,
          dialects: listed.dialects ?? [],
        });
        continue;
      }
      let dependsOn = source.dependsOn;
      let transaction = source.transaction;
      let hasDown = source.hasDown;
      let body: ResolvedBody | undefined;
      try {
        if (source.load) {
          const definition = await source.load();
          dependsOn = definition.dependsOn ?? [];
          transaction = definition.transaction ?? true;
          hasDown = definition.down !== undefined;
        }
        body = await source.resolve(dialect);
        hasDown = body.hasDown ?? body.down !== undefined;
      } catch (error) {
        if (!isStrataError(error)) throw error;
        problems.push({
          code: error.code,
          message: error.message,
          ...(error.hint ? { hint: error.hint } : {}),
          migrationId: source.id,
          ...(source.file ? { file: source.file } : {}),
        });
      }
      migrations.push({
        id: source.id,
        module: source.module,
        version: source.version,
        name: source.name,
        dependsOn,
        checksum: body ? (body.checksum ?? checksum(body.checksumText)) : undefined,
        hasDown: hasDown ?? false,
        transaction,
        file: source.file,
        source,
        body,
      });
    }
  }
  if (notApplicable.length) {
    // A dependency on a migration that does not exist on this dialect is met by its absence.
    const skipped = new Set(notApplicable.map((m) => m.id));
    for (const migration of migrations) {
      if (migration.dependsOn.some((dep) => skipped.has(dep))) migration.dependsOn = migration.dependsOn.filter((dep) => !skipped.has(dep));
    }
  }
  const byId = new Map<string, LoadedMigration>();
  for (const migration of migrations) if (!byId.has(migration.id)) byId.set(migration.id, migration);
  return { dialect, migrations, notApplicable, byId, problems };
}
