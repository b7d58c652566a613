import { StrataError, STRATA_ERROR_CODES } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor, exitCodeForProblems } from '../src/exit-codes.js';

describe('EXIT_CODES', () => {
  it('maps every STRATA_* code', () => {
    expect(Object.keys(EXIT_CODES).sort()).toEqual(Object.keys(STRATA_ERROR_CODES).sort());
  });

  it('puts each code in its documented class', () => {
    const classes: Record<number, string[]> = {
      1: ['STRATA_MIGRATION_FAILED', 'STRATA_SQL_ERROR', 'STRATA_INTERNAL'],
      2: ['STRATA_USAGE', 'STRATA_CONFIG_INVALID', 'STRATA_DIALECT_MISSING', 'STRATA_CONFIRMATION_REQUIRED', 'STRATA_INVALID_ID'],
      3: [
        'STRATA_INVALID_VERSION',
        'STRATA_INVALID_MIGRATION',
        'STRATA_DUPLICATE_VERSION',
        'STRATA_UNKNOWN_DEPENDENCY',
        'STRATA_DEPENDENCY_CYCLE',
        'STRATA_FORWARD_DEPENDENCY',
        'STRATA_CHECKSUM_MISMATCH',
        'STRATA_MISSING_MIGRATION',
        'STRATA_OUT_OF_ORDER',
        'STRATA_MISSING_DOWN',
        'STRATA_DEPENDANT_APPLIED',
        'STRATA_UNMET_DEPENDENCY',
        'STRATA_UNKNOWN_TARGET',
        'STRATA_NON_TRANSACTIONAL_STATEMENT',
        'STRATA_REPAIR_INVALID',
      ],
      4: ['STRATA_LOCK_TIMEOUT', 'STRATA_DDL_LOCK_TIMEOUT'],
      5: ['STRATA_CONNECTION_FAILED'],
      6: ['STRATA_BACKUP_FAILED'],
      7: ['STRATA_NEEDS_REPAIR'],
    };
    for (const [status, codes] of Object.entries(classes)) {
      for (const code of codes) expect(exitCodeFor(new StrataError(code as never, 'x')), code).toBe(Number(status));
    }
  });

  it('exits 130 on SIGINT and 143 on SIGTERM, 1 for anything that is not a StrataError', () => {
    const interrupted = new StrataError('STRATA_INTERRUPTED', 'x');
    expect(exitCodeFor(interrupted, 'SIGINT')).toBe(130);
    expect(exitCodeFor(interrupted, 'SIGTERM')).toBe(143);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });
});

describe('exitCodeForProblems', () => {
  it('is 0 for none, 7 when repair is needed, else the class of the problems', () => {
    expect(exitCodeForProblems([])).toBe(0);
    expect(exitCodeForProblems([{ code: 'STRATA_CHECKSUM_MISMATCH' }])).toBe(3);
    expect(exitCodeForProblems([{ code: 'STRATA_CHECKSUM_MISMATCH' }, { code: 'STRATA_NEEDS_REPAIR' }])).toBe(7);
  });
});
