import type { OptionSpec } from '../command-specs.js';

/**
 * Options of a fleet run (`up`, `down`, `status`, `plan`, `validate` over many tenants). Kept
 * in their own file so the command table only spreads them in; the fleet code itself is
 * imported only when `--fleet` (or config `fleet.targets`) asks for it.
 */
export const FLEET_OPTIONS: Record<string, OptionSpec> = {
  fleet: {
    type: 'string',
    value: '<spec>',
    description: 'run over many tenants: a list file, sqlite:dir/*.db, schemas:<pattern>, query:<sql> (off: ignore config fleet)',
  },
  concurrency: { type: 'string', value: '<n>', description: 'fleet: tenants migrated at once (default from cores and max_connections)' },
  'fail-fast': { type: 'boolean', description: 'fleet: start no new tenant after the first failure' },
  canary: { type: 'string', value: '<n>', description: 'fleet: run the first n tenants alone first; stop the fleet if any fails' },
  shard: { type: 'string', value: '<i/n>', description: 'fleet: only the i-th of n stable shards (hash of the tenant name)' },
  'only-failed': { type: 'boolean', description: "fleet: only the tenants that failed in the last run's report" },
};

/** Commands that run over a fleet. */
export const FLEET_COMMANDS: ReadonlySet<string> = new Set(['up', 'down', 'status', 'plan', 'validate']);
