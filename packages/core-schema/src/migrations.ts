import { POSTGRES_INITIAL_SCHEMA_DOWN, POSTGRES_INITIAL_SCHEMA_UP } from './postgres/1.0.0-initial-schema.js';
import { POSTGRES_ADD_INDEXES_DOWN, POSTGRES_ADD_INDEXES_UP } from './postgres/1.1.0-add-indexes.js';
import { SQLITE_INITIAL_SCHEMA_DOWN, SQLITE_INITIAL_SCHEMA_UP } from './sqlite/1.0.0-initial-schema.js';
import { SQLITE_ADD_INDEXES_DOWN, SQLITE_ADD_INDEXES_UP } from './sqlite/1.1.0-add-indexes.js';

/** SQL text for each dialect `core` supports. */
export type CoreSqlBodies = {
  readonly postgres: string;
  readonly sqlite: string;
};

/** A `core` migration as plain data: what `defineModule` receives. */
export type CoreMigration = {
  readonly version: string;
  /** Slug, as in a file name (`initial_schema`). */
  readonly name: string;
  /** Ids (`module@version`) that must be applied first. */
  readonly dependsOn: readonly string[];
  readonly up: CoreSqlBodies;
  readonly down: CoreSqlBodies;
};

/**
 * The migrations of module `core`, oldest first. Both run in a transaction (the default): every
 * statement in them is transactional on PostgreSQL and SQLite alike.
 */
export const CORE_MIGRATIONS: readonly CoreMigration[] = [
  {
    version: '1.0.0',
    name: 'initial_schema',
    dependsOn: [],
    up: { postgres: POSTGRES_INITIAL_SCHEMA_UP, sqlite: SQLITE_INITIAL_SCHEMA_UP },
    down: { postgres: POSTGRES_INITIAL_SCHEMA_DOWN, sqlite: SQLITE_INITIAL_SCHEMA_DOWN },
  },
  {
    version: '1.1.0',
    name: 'add_indexes',
    // Explicit although implied by version order: a revert of 1.0.0 alone is then refused
    // while the indexes are applied.
    dependsOn: ['core@1.0.0'],
    up: { postgres: POSTGRES_ADD_INDEXES_UP, sqlite: SQLITE_ADD_INDEXES_UP },
    down: { postgres: POSTGRES_ADD_INDEXES_DOWN, sqlite: SQLITE_ADD_INDEXES_DOWN },
  },
];
