import type { Migration } from './migration.js';
import type { Problem } from './problem.js';

/** What a source found: the migrations it could read and a problem for each file it could not. */
export interface SourceLoadResult {
  migrations: Migration[];
  problems: Problem[];
}

/**
 * Where migrations come from: a folder of SQL/TS files ({@link createFileSource}), an in-memory
 * module ({@link defineModule}), or anything else that lists migrations. `load` must be cheap:
 * it reads file names and SQL text but imports TS/JS migrations only when they are resolved.
 */
export interface MigrationSource {
  /** For messages: `folder ./migrations (module app)`, `module core`. */
  readonly description: string;
  /** Lists the migrations; never throws for a bad file, returns a problem naming it instead. */
  load(): Promise<SourceLoadResult>;
}
