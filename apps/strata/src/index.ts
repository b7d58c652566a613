/**
 * The `strata` package: the `strata` command, and `defineConfig` for `strata.config.ts`. The
 * migration types are re-exported for `strata new --ts` files (`satisfies MigrationDefinition`):
 * a project that installed strata-migrate and a dialect may have no @strata/core of its own.
 * @example
 * // strata.config.ts
 * import { defineConfig } from 'strata-migrate';
 * export default defineConfig({ url: process.env.DATABASE_URL, modules: ['@strata/core-schema'] });
 */
export { defineConfig, runCli } from '@strata/cli';
export type { StrataConfig, BackupConfig, FleetConfig, DialectFactoryOptions, RunCliOptions } from '@strata/cli';
export type { MigrationContext, MigrationDefinition } from '@strata/core';
