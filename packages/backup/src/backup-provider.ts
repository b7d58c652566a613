// The provider contract moved to @strata/core (a dialect hands its provider out through
// `Dialect.backupProvider`); re-exported here so imports from @strata/backup keep working.
export type {
  BackupProgress,
  BackupProvider,
  BackupProviderOptions,
  ProviderCreateOptions,
  ProviderCreateResult,
  ProviderRestoreOptions,
  ProviderRestoreResult,
  ProviderVerifyResult,
  TargetMeasure,
} from '@strata/core';
