import { defineModule } from '@strata/core';
import { CORE_MIGRATIONS } from './migrations.js';
import { CORE_MODULE_NAME } from './tables.js';

/**
 * The Visual Editor Core schema as migration module `core`, with PostgreSQL and SQLite bodies:
 * `core@1.0.0` creates the eight core tables, `core@1.1.0` their indexes.
 * @example
 * import { createMigrator } from '@strata/core';
 * import { createSqliteDialect } from '@strata/dialect-sqlite';
 * import { coreSchema } from '@strata/core-schema';
 *
 * const migrator = createMigrator({ dialect: createSqliteDialect({ filename: 'app.db' }), sources: [coreSchema] });
 * await migrator.up();
 */
export const coreSchema = defineModule({
  name: CORE_MODULE_NAME,
  migrations: CORE_MIGRATIONS,
});
