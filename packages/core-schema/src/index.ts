/** The `core` migration module; also the default export. */
export { coreSchema, coreSchema as default } from './core-schema.js';
export { CORE_MODULE_NAME, CORE_TABLES, type CoreTableName } from './tables.js';
export {
  CORE_INDEXES,
  CORE_INDEXES_BY_DIALECT,
  POSTGRES_ONLY_INDEXES,
  type CoreIndexName,
} from './indexes.js';
export { CORE_MIGRATIONS, type CoreMigration, type CoreSqlBodies } from './migrations.js';
export { POSTGRES_INITIAL_SCHEMA_UP, POSTGRES_INITIAL_SCHEMA_DOWN } from './postgres/1.0.0-initial-schema.js';
export { POSTGRES_ADD_INDEXES_UP, POSTGRES_ADD_INDEXES_DOWN } from './postgres/1.1.0-add-indexes.js';
export { SQLITE_INITIAL_SCHEMA_UP, SQLITE_INITIAL_SCHEMA_DOWN } from './sqlite/1.0.0-initial-schema.js';
export { SQLITE_ADD_INDEXES_UP, SQLITE_ADD_INDEXES_DOWN } from './sqlite/1.1.0-add-indexes.js';
export { CORE_LINT_IGNORES, CORE_LINT_IGNORES as lintIgnores } from './lint-ignores.js';
export type * from './rows.js';
