import type { StrataErrorCode } from './errors.js';

/**
 * Something wrong found before anything runs: by a source while loading files, or by the planner
 * while comparing migrations with the state table. A run refuses to start while it has any.
 */
export interface Problem {
  /** Stable code, as on {@link StrataError}. */
  code: StrataErrorCode;
  /** One line naming the thing and the value: file, migration id, both hashes … */
  message: string;
  /** The next step. */
  hint?: string;
  migrationId?: string;
  file?: string;
  /** Extra secret-free facts (expected/actual checksums, dependency ids …). */
  details?: Record<string, unknown>;
}
