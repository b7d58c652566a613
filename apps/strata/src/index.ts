/**
 * The `strata` package: the `strata` command, and `defineConfig` for `strata.config.ts`.
 * @example
 * // strata.config.ts
 * import { defineConfig } from 'strata-migrate';
 * export default defineConfig({ url: process.env.DATABASE_URL, modules: ['@strata/core-schema'] });
 */
export { defineConfig, runCli } from '@strata/cli';
export type { StrataConfig, BackupConfig, FleetConfig, DialectFactoryOptions, RunCliOptions } from '@strata/cli';
