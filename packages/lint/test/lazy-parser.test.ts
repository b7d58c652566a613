import { describe, expect, it } from 'vitest';
import { lintMigrations } from '../src/index.js';
import { isPostgresParserLoaded } from '../src/postgres-parse.js';

// Its own file, so its own process: nothing else has loaded the parser yet.
describe('the PostgreSQL parser', () => {
  it('is not loaded to lint SQLite, and is loaded once PostgreSQL is linted', async () => {
    await lintMigrations([{ id: 'a@1.0.0', sql: 'DROP TABLE t;' }], { dialect: 'sqlite' });
    expect(isPostgresParserLoaded()).toBe(false);
    await lintMigrations([{ id: 'a@1.0.0', sql: 'DROP TABLE t;' }], { dialect: 'postgres' });
    expect(isPostgresParserLoaded()).toBe(true);
  });
});
