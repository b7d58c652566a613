import { createHash } from 'node:crypto';
import { StrataError } from '@strata/core';

/** One shard of a fleet: 1-based `index` of `count`. */
export interface FleetShard {
  index: number;
  count: number;
}

/**
 * Parses `--shard i/n` (1-based, as Jest and Playwright spell it: `1/4` … `4/4`).
 * @throws StrataError `STRATA_USAGE` naming the value
 */
export function parseShard(value: string): FleetShard {
  const match = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(value.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || index > count) {
    throw new StrataError('STRATA_USAGE', `Option --shard must be i/n with 1 <= i <= n, not ${JSON.stringify(value)}`, {
      hint: 'strata up --fleet tenants.txt --shard 1/4 (a Kubernetes Indexed Job: --shard $((JOB_COMPLETION_INDEX+1))/N)',
    });
  }
  return { index, count };
}

/**
 * The shard (0-based) a tenant belongs to: the first 6 bytes of SHA-256 of its name, mod `count`.
 * Depends on the name only, never on the order or the size of the list, so every worker computes
 * the same split with no coordinator, and a tenant added later does not move the others.
 */
export function shardOf(name: string, count: number): number {
  const digest = createHash('sha256').update(name, 'utf8').digest();
  return digest.readUIntBE(0, 6) % count;
}

/** The tenants of one shard, in their original order. */
export function selectShard<T extends { name: string }>(tenants: readonly T[], shard: FleetShard): T[] {
  return tenants.filter((tenant) => shardOf(tenant.name, shard.count) === shard.index - 1);
}
