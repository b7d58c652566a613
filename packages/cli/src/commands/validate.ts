import type { Migrator, ValidationReport } from '@strata/core';

export interface ValidateCommandOptions {
  migrator: Migrator;
}

/** Checks files, versions, dependencies and checksums against the database; changes nothing. */
export async function validate(options: ValidateCommandOptions): Promise<ValidationReport> {
  return options.migrator.validate();
}
