import { describe, expect, it } from 'vitest';
import { connectionFailedError, isNativeBindingError } from './sqlite-errors.js';

// The messages better-sqlite3's loader (the `bindings` package, then Node's dlopen) really throws
// when the addon was never built (pnpm 10 without an approved build script) or is stale.
// (apps/strata/test/packaging.test.ts reproduces the first one on a real npm install.)
const NOT_BUILT = Object.assign(
  new Error(
    'Could not locate the bindings file. Tried:\n → /app/node_modules/better-sqlite3/build/better_sqlite3.node\n → /app/node_modules/better-sqlite3/build/Debug/better_sqlite3.node',
  ),
  { tries: [] },
);
const STALE = Object.assign(
  new Error(
    "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 127. This version of Node.js requires\nNODE_MODULE_VERSION 115.",
  ),
  { code: 'ERR_DLOPEN_FAILED' },
);

describe('connectionFailedError', () => {
  it('turns a missing or stale native addon into STRATA_DIALECT_MISSING with the command to build it', () => {
    for (const error of [NOT_BUILT, STALE]) {
      expect(isNativeBindingError(error)).toBe(true);
      const mapped = connectionFailedError('/app/strata.db', error);
      expect(mapped.code).toBe('STRATA_DIALECT_MISSING');
      expect(mapped.message).toMatch(/^better-sqlite3 is installed but its native addon cannot be loaded/);
      expect(mapped.hint).toContain('pnpm approve-builds');
      expect(mapped.hint).toContain('npm rebuild better-sqlite3');
    }
  });

  it('keeps STRATA_CONNECTION_FAILED for a file that cannot be opened', () => {
    const mapped = connectionFailedError(
      '/nope/strata.db',
      Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }),
    );
    expect(mapped.code).toBe('STRATA_CONNECTION_FAILED');
    expect(isNativeBindingError(new Error('unable to open database file'))).toBe(false);
  });
});
