import { FLEET_OPTIONS } from './fleet/fleet-options.js';

/** How one option is parsed (a subset of `util.parseArgs`' option config). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Value placeholder for help, e.g. `<id|version>`. */
  value?: string;
  description: string;
}

/** A command: its arguments, options, help and examples. */
export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  options: Record<string, OptionSpec>;
  examples: string[];
  /** Lines printed after the options. */
  notes?: string[];
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string', value: '<url>', description: 'target database (beats DATABASE_URL and the config file)' },
  config: {
    type: 'string',
    value: '<path>',
    description: 'config file (default: the nearest strata.config.{ts,mts,cts,js,mjs,cjs,json} up to the project root)',
  },
  json: { type: 'boolean', description: 'print exactly one JSON document on stdout; human lines go to stderr' },
  yes: { type: 'boolean', short: 'y', description: 'confirm destructive commands without asking' },
  migrations: { type: 'string', value: '<dir>', description: "folder of module 'app' migrations (default: ./migrations)" },
  'lock-timeout': {
    type: 'string',
    value: '<duration>',
    description: 'wait this long for the migration lock (500ms, 2s, 1m; default 60s)',
  },
  'direct-url': {
    type: 'string',
    value: '<url>',
    description:
      'PostgreSQL URL that bypasses a transaction-mode pooler; migrations connect through it (beats --url, DATABASE_URL, config)',
  },
  'fallback-url': { type: 'string', value: '<url>', description: 'failover target used when --url cannot be reached in time' },
  modules: {
    type: 'string',
    multiple: true,
    value: '<a,b>',
    description: 'packages exporting migration modules, e.g. @strata/core-schema',
  },
  verbose: { type: 'boolean', description: 'print the effective target, dialect facts and timings' },
  quiet: { type: 'boolean', description: 'print only errors (and the JSON document with --json)' },
  'env-file': {
    type: 'string',
    value: '<path>',
    description: 'read KEY=VALUE lines (already-set variables win; .env beside the config is read too)',
  },
  wait: { type: 'string', value: '<duration>', description: 'retry connecting this long while the database starts (30s, 2m)' },
  'no-color': { type: 'boolean', description: 'no colour (NO_COLOR is honoured too)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', short: 'V', description: 'print the version' },
};

const to = (what: string): OptionSpec => ({ type: 'string', value: '<id|version>', description: what });
const noBackup: OptionSpec = { type: 'boolean', description: 'do not take a backup before changing the database' };

/** Every command of the CLI, in help order. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'init',
    usage: 'strata init [--ts]',
    summary: 'create strata.config.json (or .ts) and the migrations folder',
    options: { ts: { type: 'boolean', description: 'write strata.config.ts instead of strata.config.json' } },
    examples: ['strata init', 'strata init --ts'],
  },
  {
    name: 'new',
    usage: 'strata new <name> [--module m] [--major|--minor|--patch] [--sql|--ts]',
    summary: 'create the next migration file',
    options: {
      module: { type: 'string', value: '<module>', description: 'module whose folder gets the file (default: app)' },
      major: { type: 'boolean', description: 'next major version' },
      minor: { type: 'boolean', description: 'next minor version (default)' },
      patch: { type: 'boolean', description: 'next patch version' },
      sql: { type: 'boolean', description: 'a SQL file with -- strata:up / -- strata:down sections (default)' },
      ts: { type: 'boolean', description: 'a TypeScript file using defineMigration' },
    },
    examples: ['strata new add_users', 'strata new "Add orders table" --major', 'strata new seed_roles --ts'],
  },
  {
    name: 'status',
    usage: 'strata status [--fail-on-pending]',
    summary: 'list migrations and their state; exit 3 on a problem, 7 when repair is needed',
    options: {
      ...FLEET_OPTIONS,
      'fail-on-pending': { type: 'boolean', description: 'exit 3 (STRATA_PENDING_MIGRATIONS) when a migration is pending: a deploy gate' },
    },
    examples: ['strata status', 'strata status --json', 'strata status --fail-on-pending', 'strata status --modules @strata/core-schema'],
  },
  {
    name: 'up',
    usage:
      'strata up [--to id|version] [--dry-run] [--single-transaction] [--no-backup] [--allow-out-of-order] [--allow-lint] [--wait-for-window <max>]',
    summary: 'apply pending migrations',
    options: {
      to: to('apply up to and including this migration'),
      'dry-run': { type: 'boolean', description: 'apply in one transaction and roll it back' },
      'single-transaction': { type: 'boolean', description: 'apply the whole plan in one transaction' },
      'no-backup': noBackup,
      'allow-out-of-order': { type: 'boolean', description: 'apply pending migrations older than the newest applied one' },
      'allow-lint': { type: 'boolean', description: 'apply even when strata lint finds an error in a migration to apply' },
      'wait-for-window': {
        type: 'string',
        value: '<duration>',
        description: 'wait this long (at most) for a closed maintenance window to open, instead of stopping with exit 8 (2h, 30m)',
      },
      ...FLEET_OPTIONS,
    },
    examples: [
      'strata up',
      'strata up --to 1.2.0',
      'strata up --dry-run',
      'strata up --url postgres://app@db/prod --lock-timeout 30s',
      'strata up --fleet "sqlite:tenants/*.db" --concurrency 4 --canary 5',
      'strata up --fleet "schemas:tenant_*" --url postgres://app@db/saas --shard 2/4',
    ],
  },
  {
    name: 'down',
    usage: 'strata down [--to id|version | --steps n] [--dry-run] [--no-backup]',
    summary:
      'revert the most recently applied migration (application order, across modules); asks for confirmation, --yes when not on a terminal',
    options: {
      to: to('revert every migration of its module after this one (it stays applied; module@0.0.0 reverts them all)'),
      steps: { type: 'string', value: '<n>', description: 'revert the n most recently applied migrations, newest first' },
      'dry-run': { type: 'boolean', description: 'revert in one transaction and roll it back' },
      'no-backup': noBackup,
      ...FLEET_OPTIONS,
    },
    examples: ['strata down --yes', 'strata down --steps 3 --yes', 'strata down --to app@1.0.0 --yes'],
  },
  {
    name: 'plan',
    usage: 'strata plan [--to id|version] [--down] [--steps n]',
    summary: 'print the SQL that would run, state-table writes included',
    options: {
      to: to('plan up (or down with --down) to this migration'),
      down: { type: 'boolean', description: 'plan a revert instead of an apply' },
      steps: { type: 'string', value: '<n>', description: 'with --down: revert the n most recently applied migrations' },
      'allow-out-of-order': { type: 'boolean', description: 'plan pending migrations older than the newest applied one' },
      ...FLEET_OPTIONS,
    },
    examples: ['strata plan', 'strata plan --to 2.0.0', 'strata plan --down --steps 2'],
  },
  {
    name: 'validate',
    usage: 'strata validate [--offline]',
    summary: 'check every section of every file, versions, dependencies and checksums without changing anything',
    options: {
      ...FLEET_OPTIONS,
      offline: { type: 'boolean', description: 'check the files alone, with no database (CI): not checksums nor state' },
    },
    examples: ['strata validate', 'strata validate --json', 'strata validate --offline'],
  },
  {
    name: 'repair',
    usage:
      'strata repair [--accept-checksum id|all]... [--drop-failed id|all] [--forget id|all] [--mark-applied id]... [--mark-reverted id]...',
    summary: 'fix the state table; without an action it previews the suggested repairs',
    options: {
      'accept-checksum': {
        type: 'string',
        multiple: true,
        value: '<id|all>',
        description: 'record the current checksum of a changed migration',
      },
      'drop-failed': {
        type: 'string',
        multiple: true,
        value: '<id|all>',
        description: 'delete a failed/running row (check the database first)',
      },
      forget: {
        type: 'string',
        multiple: true,
        value: '<id|all>',
        description: 'delete the row of an applied migration whose file is gone',
      },
      'mark-applied': { type: 'string', multiple: true, value: '<id>', description: 'record a migration as applied without running it' },
      'mark-reverted': { type: 'string', multiple: true, value: '<id>', description: "delete a migration's row without running its down" },
      'dry-run': { type: 'boolean', description: 'only show what would be done' },
    },
    examples: [
      'strata repair',
      'strata repair --accept-checksum app@1.2.0 --yes',
      'strata repair --drop-failed all --yes',
      'strata repair --mark-applied app@1.3.0 --yes',
    ],
  },
  {
    name: 'baseline',
    usage: 'strata baseline <version|module@version> [--dry-run]',
    summary: 'mark every migration up to a version as applied on an existing database',
    options: { 'dry-run': { type: 'boolean', description: 'only show what would be marked' } },
    examples: ['strata baseline 1.4.0', 'strata baseline core@1.1.0 --modules @strata/core-schema'],
  },
  {
    name: 'history',
    usage: 'strata history [--limit n] [--migration id]',
    summary: 'show the append-only event history, newest first',
    options: {
      limit: { type: 'string', value: '<n>', description: 'at most n events (default 50)' },
      migration: { type: 'string', value: '<id>', description: 'only events of this migration' },
    },
    examples: ['strata history', 'strata history --limit 10 --json', 'strata history --migration app@1.2.0'],
  },
  {
    name: 'lint',
    usage: 'strata lint [--all | --since <git ref>] [--dialect postgres|sqlite] [--format text|github]',
    summary: 'check pending migrations for locks, rewrites and data loss; exit 3 on an error finding',
    options: {
      all: { type: 'boolean', description: 'lint every migration, not only the pending ones (no database needed)' },
      since: {
        type: 'string',
        value: '<git ref>',
        description: 'lint the migration files changed on this branch since it left <ref> (no database needed)',
      },
      dialect: {
        type: 'string',
        value: '<postgres|sqlite>',
        description: 'lint for this engine without a target database (implies --all)',
      },
      format: { type: 'string', value: '<text|github>', description: 'github: GitHub Actions annotations on stdout (default text)' },
    },
    examples: ['strata lint', 'strata lint --all --json', 'strata lint --since origin/main --dialect postgres --format github'],
    notes: [
      'Rules, severities and suppression: packages/lint/README.md. Silence one finding with',
      '`-- strata:lint-ignore <rule> <reason>` above the statement (or above `-- strata:up` for the file);',
      "configure with lint: { rules: { 'pg/rename': 'off' }, ignore: [{ migration, rules, reason }] }.",
    ],
  },
  {
    name: 'backup',
    usage:
      'strata backup create | list [--all] | verify <id> | restore <id> [--into x] [--from-other-target] | prune [--keep n] [--max-age 30d] [--dry-run]',
    summary: "take, list, verify, restore and prune verified backups (the target's own, unless --all)",
    options: {
      into: {
        type: 'string',
        value: '<target>',
        description: 'restore: into a new, empty SQLite file (path) or PostgreSQL database (name or URL) instead of the target',
      },
      'from-other-target': { type: 'boolean', description: 'restore: restore in place a backup of another target (asks for confirmation)' },
      all: { type: 'boolean', description: "list: every target's backups in the folder, not only this target's" },
      keep: { type: 'string', value: '<n>', description: "prune: keep this target's newest n backups (default: backup.keep, 10)" },
      'max-age': { type: 'string', value: '<age>', description: "prune: delete this target's backups older than this (30d, 12h)" },
      'dry-run': { type: 'boolean', description: 'prune: only show what would be deleted' },
    },
    examples: [
      'strata backup create',
      'strata backup list --all --json',
      'strata backup verify 20250131T142501123Z-a1b2c3',
      'strata backup restore 20250131T142501123Z-a1b2c3 --yes',
      'strata backup restore 20250131T142501123Z-a1b2c3 --into app_copy',
      'strata backup prune --keep 5 --dry-run',
    ],
  },
];

/** The spec of a command by name. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === name);
}
