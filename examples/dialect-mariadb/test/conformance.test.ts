import { describeDialectConformance } from '@strata/core/testing';
import { assertMariaDbReachable, freshTarget } from './mariadb.js';

await assertMariaDbReachable();

describeDialectConformance({
  name: 'mariadb',
  createTarget: async () => {
    const { dialect, secondDialect, cleanup } = await freshTarget();
    return { dialect, secondDialect, cleanup };
  },
});
