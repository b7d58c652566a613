import { describeDialectConformance } from '@strata/core/testing';
import { createPostgresDialect } from '@strata/dialect-postgres';
import { createTestDatabase } from '../../../test-support/postgres.js';

describeDialectConformance({
  name: 'postgres',
  createTarget: async () => {
    const database = await createTestDatabase('strata_conf');
    return {
      dialect: createPostgresDialect({ connectionString: database.url }),
      secondDialect: createPostgresDialect({ connectionString: database.url }),
      cleanup: () => database.drop(),
    };
  },
});
