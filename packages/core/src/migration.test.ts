import { describe, expect, it } from 'vitest';
import { isStrataError } from './errors.js';
import { assertModuleName, defineMigration, MODULE_NAME_PATTERN, migrationId, parseMigrationId } from './migration.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isStrataError(error) ? error.code : `not a StrataError: ${String(error)}`;
  }
  return undefined;
}

describe('migrationId', () => {
  it('joins module and version with @', () => {
    expect(migrationId('core', '1.1.0')).toBe('core@1.1.0');
  });
});

describe('parseMigrationId', () => {
  it('splits module@version', () => {
    expect(parseMigrationId('core@1.1.0')).toEqual({ module: 'core', version: '1.1.0' });
    expect(parseMigrationId('my_app-2@1.0.0-rc.1')).toEqual({ module: 'my_app-2', version: '1.0.0-rc.1' });
  });

  it('takes a bare version in the default module', () => {
    expect(parseMigrationId('1.2.0', 'app')).toEqual({ module: 'app', version: '1.2.0' });
  });

  it('refuses a bare version without a default module', () => {
    expect(codeOf(() => parseMigrationId('1.2.0'))).toBe('STRATA_INVALID_ID');
  });

  it('refuses an invalid module name', () => {
    expect(codeOf(() => parseMigrationId('Core@1.0.0'))).toBe('STRATA_INVALID_ID');
    expect(codeOf(() => parseMigrationId('@1.0.0'))).toBe('STRATA_INVALID_ID');
    expect(() => parseMigrationId('1core@1.0.0')).toThrow('Invalid migration id "1core@1.0.0": expected module@version');
  });

  it('refuses an invalid version', () => {
    expect(codeOf(() => parseMigrationId('core@1.0'))).toBe('STRATA_INVALID_VERSION');
    expect(codeOf(() => parseMigrationId('core@v1.0.0'))).toBe('STRATA_INVALID_VERSION');
  });
});

describe('assertModuleName', () => {
  it.each(['app', 'core', 'a', 'billing_v2', 'x-y', `a${'b'.repeat(62)}`])('accepts %s', (name) => {
    expect(() => assertModuleName(name)).not.toThrow();
    expect(MODULE_NAME_PATTERN.test(name)).toBe(true);
  });

  it.each(['', 'App', '1app', '_app', '-app', 'my app', 'app.core', 'app@1', 'é', `a${'b'.repeat(63)}`, 'x"; DROP TABLE t; --'])(
    'refuses %j with STRATA_INVALID_ID',
    (name) => {
      expect(codeOf(() => assertModuleName(name))).toBe('STRATA_INVALID_ID');
    },
  );

  it('names the thing checked', () => {
    expect(() => assertModuleName('Bad', 'module option')).toThrow('Invalid module option "Bad"');
  });
});

describe('defineMigration', () => {
  it('returns the definition unchanged', () => {
    const definition = { up: 'CREATE TABLE t (id int)', down: 'DROP TABLE t', dependsOn: ['core@1.0.0'], transaction: false };
    expect(defineMigration(definition)).toBe(definition);
  });
});
