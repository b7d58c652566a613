import { isStrataError, type Migrator, StrataError, type ValidationReport } from '@strata/core';

export interface ValidateCommandOptions {
  migrator: Migrator;
  /** Check the files alone, without connecting. @default false */
  offline?: boolean;
}

/**
 * Checks every section of every file, versions and dependencies, and (unless `offline`) the
 * checksums and state against the database; changes nothing.
 */
export async function validate(options: ValidateCommandOptions): Promise<ValidationReport> {
  if (options.offline) return options.migrator.validate({ offline: true });
  try {
    return await options.migrator.validate();
  } catch (error) {
    if (isStrataError(error) && error.code === 'STRATA_CONNECTION_FAILED') {
      throw new StrataError(error.code, error.message, {
        hint: `${error.hint ? `${error.hint}; or` : 'Or'} run \`strata validate --offline\` to check the files without a database`,
        cause: error.cause ?? error,
        details: error.details,
      });
    }
    throw error;
  }
}
