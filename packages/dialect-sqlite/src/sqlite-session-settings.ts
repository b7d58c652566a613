import type Database from 'better-sqlite3';

/**
 * Connection settings a migration can change and that would otherwise stay in force for the next
 * one (a `PRAGMA foreign_keys = OFF` in a non-transactional migration let the next migration
 * commit an orphan row). Each is a boolean pragma readable as a table-valued function.
 */
const SESSION_PRAGMAS = [
  'foreign_keys',
  'recursive_triggers',
  'legacy_alter_table',
  'ignore_check_constraints',
  'query_only',
  'reverse_unordered_selects',
  'trusted_schema',
  'writable_schema',
  'defer_foreign_keys',
] as const;

export type SessionPragma = (typeof SESSION_PRAGMAS)[number];

/**
 * Remembers a connection's session settings and puts them back: core's contract is that every
 * migration starts from the same session state whatever ran before it. One prepared SELECT reads
 * them all (~20 µs); the session runs it before a transaction only when a statement holding the
 * word PRAGMA ran since the last check.
 */
export interface SessionSettings {
  /** Sets the value the session should have from now on (strata's own changes, such as foreign keys off for a rebuild). */
  expect(pragma: SessionPragma, enabled: boolean): void;
  /** The value the session should have. */
  expected(pragma: SessionPragma): boolean;
  /** Puts back every setting that differs from what is expected; no-op inside a transaction (foreign_keys cannot change there). */
  restore(): void;
}

export function trackSessionSettings(db: Database.Database): SessionSettings {
  const read = db.prepare(`SELECT * FROM ${SESSION_PRAGMAS.map((name) => `pragma_${name}`).join(', ')}`).raw();
  const current = (): number[] => read.get() as number[];
  const expected = current().map((value) => value !== 0);
  return {
    expect(pragma, enabled) {
      expected[SESSION_PRAGMAS.indexOf(pragma)] = enabled;
      if (!db.inTransaction) db.pragma(`${pragma} = ${enabled ? 'ON' : 'OFF'}`);
    },
    expected: (pragma) => expected[SESSION_PRAGMAS.indexOf(pragma)]!,
    restore() {
      if (db.inTransaction) return;
      const values = current();
      for (let i = 0; i < SESSION_PRAGMAS.length; i++) {
        if ((values[i] !== 0) !== expected[i]) db.pragma(`${SESSION_PRAGMAS[i]} = ${expected[i] ? 'ON' : 'OFF'}`);
      }
    },
  };
}
