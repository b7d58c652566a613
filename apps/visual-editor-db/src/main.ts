import { isStrataError, redactSecrets } from '@strata/core';
import { bootstrapDatabase } from './bootstrap.js';

// Example service start: `DATABASE_URL=postgres://… node dist/main.js`
const primaryUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const fallbackFile = process.env.STRATA_FALLBACK_FILE ?? './visual-editor-fallback.db';

try {
  const result = await bootstrapDatabase({ primaryUrl, fallbackFile });
  if (result.failover?.used) {
    console.log(`database: FALLBACK ${result.failover.fallback} (${result.failover.reason})`);
  } else {
    console.log(`database: primary ${redactSecrets(primaryUrl)}`);
  }
  const applied = result.report.steps.map((step) => step.id);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema up to date');
} catch (error) {
  const message = isStrataError(error) ? `${error.code}: ${error.message}` : String(error);
  console.error(`database bootstrap failed: ${redactSecrets(message)}`);
  process.exitCode = 1;
}
