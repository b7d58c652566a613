import { isStrataError, type Migrator, StrataError, type ValidateOptions, type ValidationReport } from '@strata/core';

export interface ValidateCommandOptions {
  migrator: Migrator;
  /** Check the files alone, without connecting. @default false */
  offline?: boolean;
  /** Other dialects whose own files are checked too (see ValidateOptions.alsoCheck). */
  alsoCheck?: ValidateOptions['alsoCheck'];
}

/**
 * Checks every section of every file, versions and dependencies, and (unless `offline`) the
 * checksums and state against the database; changes nothing.
 */
export async function validate(options: ValidateCommandOptions): Promise<ValidationReport> {
  const also = options.alsoCheck?.length ? { alsoCheck: options.alsoCheck } : {};
  if (options.offline) return options.migrator.validate({ offline: true, ...also });
  try {
    return await options.migrator.validate(also);
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
