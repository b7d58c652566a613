// The public API: runCli (what the bin calls), the config helpers, exit codes, the command
// functions (each returns a result object; rendering is separate) and the CLI's checksum-cached
// file source. Argv parsing, settings, output and the other wiring are internal.
export { runCli, type RunCliOptions } from './run-cli.js';
export { isFleetWorker, runFleetWorker, type FleetWorkerHost } from './fleet/fleet-workers.js';
export {
  defineConfig,
  CONFIG_KEYS,
  type StrataConfig,
  type BackupConfig,
  type FleetConfig,
  type DialectFactoryOptions,
} from './define-config.js';
export { EXIT_CODES, EXIT_SIGINT, EXIT_SIGTERM, exitCodeFor, exitCodeForCode, exitCodeForProblems } from './exit-codes.js';
export { cachedFileSource } from './internal/checksum-cache.js';
export { init, type InitCommandOptions, type InitResult } from './commands/init.js';
export { newMigration, highestVersion, type NewCommandOptions, type NewResult } from './commands/new.js';
export {
  status,
  toProblemResults,
  type StatusCommandOptions,
  type StatusResult,
  type StatusMigration,
  type ProblemResult,
} from './commands/status.js';
export { up, type UpCommandOptions } from './commands/up.js';
export { down, type DownCommandOptions } from './commands/down.js';
export { plan, type PlanCommandOptions } from './commands/plan.js';
export { validate, type ValidateCommandOptions } from './commands/validate.js';
export { repair, type RepairCommandOptions, type RepairResult } from './commands/repair.js';
export { baseline, type BaselineCommandOptions } from './commands/baseline.js';
export { history, type HistoryCommandOptions, type HistoryResult } from './commands/history.js';
export { backup, type BackupAction, type BackupCommandOptions, type BackupCommandResult } from './commands/backup.js';
