// `engines` must be true: the CLI reads .env files with util.parseEnv, which Node added in
// 20.12.0 (and 21.7.0). Node 20.12 itself cannot be installed on the machines that run this
// (no Node downloads), so the range is checked against the APIs it promises.
import { readFileSync } from 'node:fs';
import * as util from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PUBLISHED = [
  'packages/core',
  'packages/dialect-sqlite',
  'packages/dialect-postgres',
  'packages/core-schema',
  'packages/backup',
  'packages/cli',
  'apps/strata',
];

describe('engines', () => {
  it('every published package (and the workspace) says node >=20.12', () => {
    for (const dir of ['.', ...PUBLISHED]) {
      const manifest = JSON.parse(readFileSync(`${ROOT}${dir}/package.json`, 'utf8')) as { engines?: { node?: string } };
      expect(manifest.engines?.node, dir).toBe('>=20.12');
    }
  });

  it('the running Node has util.parseEnv (the reason for 20.12)', () => {
    expect(typeof (util as { parseEnv?: unknown }).parseEnv).toBe('function');
  });
});
