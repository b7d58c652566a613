import { describe, expect, it } from 'vitest';
import { parseShard, selectShard, shardOf } from './fleet-shard.js';

const tenants = Array.from({ length: 1000 }, (_, i) => ({ name: `tenant_${i}` }));

describe('selectShard', () => {
  it('splits a fleet into disjoint shards that cover it, for any shard count', () => {
    for (const count of [1, 2, 3, 7, 16]) {
      const shards = Array.from({ length: count }, (_, i) => selectShard(tenants, { index: i + 1, count }).map((t) => t.name));
      const all = shards.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(all.sort()).toEqual(tenants.map((t) => t.name).sort());
      // Roughly even: no shard of 1,000 over 7 is empty or holds most of the fleet.
      for (const shard of shards) expect(shard.length).toBeGreaterThan(1000 / count / 2);
    }
  });

  it('depends on the name only: order and the other tenants do not move a tenant', () => {
    const reversed = [...tenants].reverse();
    const fewer = tenants.slice(0, 10);
    for (const tenant of fewer) {
      const inFull = selectShard(tenants, { index: shardOf(tenant.name, 4) + 1, count: 4 }).some((t) => t.name === tenant.name);
      const inReversed = selectShard(reversed, { index: shardOf(tenant.name, 4) + 1, count: 4 }).some((t) => t.name === tenant.name);
      expect(inFull && inReversed).toBe(true);
    }
    expect(selectShard(fewer, { index: 2, count: 4 }).map((t) => t.name)).toEqual(
      selectShard(tenants, { index: 2, count: 4 })
        .filter((t) => fewer.includes(t))
        .map((t) => t.name),
    );
  });
});

describe('parseShard', () => {
  it('reads 1-based i/n', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard('4/4')).toEqual({ index: 4, count: 4 });
  });

  it.each(['0/4', '5/4', '1/0', '1-4', 'a/b', '', '2/'])('refuses %j with a usage error', (value) => {
    expect(() => parseShard(value)).toThrow(expect.objectContaining({ code: 'STRATA_USAGE' }));
  });
});
