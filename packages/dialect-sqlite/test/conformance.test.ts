import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDialectConformance } from '@strata/core/testing';
import { createSqliteDialect } from '../src/index.js';

describeDialectConformance({
  name: 'sqlite (file)',
  createTarget: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-sqlite-conformance-'));
    const filename = join(dir, 'conformance.db');
    return {
      dialect: createSqliteDialect({ filename }),
      secondDialect: createSqliteDialect({ filename }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

describeDialectConformance({
  name: 'sqlite (:memory:)',
  createTarget: async () => {
    const dialect = createSqliteDialect({ filename: ':memory:' });
    return { dialect, cleanup: () => dialect.destroy!() };
  },
});
