import { createRequire } from 'node:module';

/**
 * The version of `@strata/backup`, recorded in manifests when the caller gives no toolVersion.
 * Read from package.json (one directory up from both `src/` and `dist/`).
 */
export const BACKUP_TOOL_VERSION: string = (() => {
  try {
    const pkg = createRequire(import.meta.url)('../package.json') as { name?: string; version?: string };
    return `${pkg.name ?? '@strata/backup'}@${pkg.version ?? '0.0.0'}`;
  } catch {
    return '@strata/backup';
  }
})();
