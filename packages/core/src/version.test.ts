import { describe, expect, it } from 'vitest';
import { isStrataError } from './errors.js';
import { bumpVersion, compareVersions, formatVersion, isValidVersion, parseVersion, versionProblem } from './version.js';

/** Runs `fn` and returns what it threw; fails the test when it does not throw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseVersion', () => {
  it.each([
    ['0.0.0', 0, 0, 0, []],
    ['1.4.0', 1, 4, 0, []],
    ['1.4.0-rc.1', 1, 4, 0, ['rc', 1]],
    ['10.20.30-alpha.beta.1', 10, 20, 30, ['alpha', 'beta', 1]],
    ['1.0.0-0.3.7', 1, 0, 0, [0, 3, 7]],
    ['1.0.0-x-y-z.--', 1, 0, 0, ['x-y-z', '--']],
    ['1.0.0-0a', 1, 0, 0, ['0a']],
    ['9007199254740991.0.0', 9007199254740991, 0, 0, []],
  ] as const)('accepts %s', (text, major, minor, patch, prerelease) => {
    expect(parseVersion(text)).toEqual({ major, minor, patch, prerelease, text });
    expect(isValidVersion(text)).toBe(true);
    expect(versionProblem(text)).toBeUndefined();
  });

  it.each([
    ['1.2', /three numbers MAJOR\.MINOR\.PATCH, found 2/],
    ['v1.2.3', /starts with "v"/],
    ['V1.2.3', /starts with "v"/],
    ['01.2.3', /"01" has a leading zero/],
    ['1.02.3', /"02" has a leading zero/],
    ['1.2.03', /"03" has a leading zero/],
    ['1.2.3.4', /three numbers MAJOR\.MINOR\.PATCH, found 4/],
    ['1.2.3-', /pre-release after "-" is empty/],
    ['1.2.3 ', /leading or trailing white space/],
    [' 1.2.3', /leading or trailing white space/],
    ['1.2.3\n', /leading or trailing white space/],
    ['1.2.3+build', /build metadata/],
    ['1.2.3-rc.1+build.5', /build metadata/],
    ['１.２.３', /not plain ASCII/],
    ['1.2.3-ü', /not plain ASCII/],
    ['9007199254740992.0.0', /"9007199254740992" is larger than 2\^53 - 1/],
    ['1.2.3-01', /pre-release identifier "01" has a leading zero/],
    ['1.2.3-a..b', /a pre-release identifier is empty/],
    ['1.2.3-rc.', /a pre-release identifier is empty/],
    ['1.2.3-rc_1', /"rc_1" holds a character other than \[0-9A-Za-z-\]/],
    ['1.2.3-9007199254740992', /"9007199254740992" is larger than 2\^53 - 1/],
    ['1..3', /a number is missing/],
    ['1.x.3', /"x" is not a number/],
    ['', /it is empty/],
  ])('refuses %j with a message saying why', (text, why) => {
    expect(isValidVersion(text)).toBe(false);
    expect(versionProblem(text)).toMatch(why);
    const error = thrown(() => parseVersion(text));
    expect(isStrataError(error)).toBe(true);
    if (!isStrataError(error)) return;
    expect(error.code).toBe('STRATA_INVALID_VERSION');
    // One line naming the value and the reason, the fix in the hint.
    expect(error.message.startsWith(`Invalid version ${JSON.stringify(text)}: `)).toBe(true);
    expect(error.message).toMatch(why);
    expect(error.hint).toMatch(/MAJOR\.MINOR\.PATCH/);
  });

  it('refuses a value that is not a string', () => {
    expect(isValidVersion(undefined as unknown as string)).toBe(false);
    expect(() => parseVersion(123 as unknown as string)).toThrow(/Invalid version/);
  });

  it('keeps the input as the canonical text', () => {
    expect(parseVersion('1.4.0-rc.1').text).toBe('1.4.0-rc.1');
    expect(formatVersion(parseVersion('10.20.30-alpha.beta.1'))).toBe('10.20.30-alpha.beta.1');
    expect(formatVersion(parseVersion('1.0.0'))).toBe('1.0.0');
  });
});

describe('compareVersions', () => {
  const sign = (a: string, b: string) => Math.sign(compareVersions(a, b));

  it('orders by SemVer precedence, never lexically', () => {
    expect(sign('1.10.0', '1.9.0')).toBe(1);
    expect(sign('1.9.0', '1.10.0')).toBe(-1);
    expect(sign('2.0.0', '1.99.99')).toBe(1);
    expect(sign('1.0.10', '1.0.9')).toBe(1);
    expect(sign('1.2.3', '1.2.3')).toBe(0);
  });

  it('puts a pre-release before its release', () => {
    expect(sign('1.4.0-rc.1', '1.4.0')).toBe(-1);
    expect(sign('1.4.0', '1.4.0-rc.1')).toBe(1);
    expect(sign('1.4.0-rc.1', '1.3.9')).toBe(1);
  });

  it('follows the SemVer spec chain 1.0.0-alpha < … < 1.0.0', () => {
    const chain = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    for (let i = 0; i < chain.length - 1; i++) {
      expect(sign(chain[i]!, chain[i + 1]!), `${chain[i]} < ${chain[i + 1]}`).toBe(-1);
      expect(sign(chain[i + 1]!, chain[i]!), `${chain[i + 1]} > ${chain[i]}`).toBe(1);
    }
  });

  it('ranks numeric identifiers below alphanumeric ones and compares them as numbers', () => {
    expect(sign('1.0.0-1', '1.0.0-a')).toBe(-1);
    expect(sign('1.0.0-a', '1.0.0-1')).toBe(1);
    expect(sign('1.0.0-2', '1.0.0-10')).toBe(-1);
    expect(sign('1.0.0-B', '1.0.0-a')).toBe(-1); // ASCII order: upper case first
  });

  it('accepts parsed versions as well as text', () => {
    expect(Math.sign(compareVersions(parseVersion('1.10.0'), '1.9.0'))).toBe(1);
    expect(compareVersions(parseVersion('1.0.0-rc.1'), parseVersion('1.0.0-rc.1'))).toBe(0);
  });

  it('refuses an invalid version instead of guessing', () => {
    expect(() => compareVersions('1.2', '1.2.0')).toThrow(/Invalid version "1.2"/);
  });

  it('sorts a shuffled list into precedence order', () => {
    const sorted = [
      '0.0.1',
      '0.1.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.2.0',
      '1.9.0',
      '1.10.0',
      '1.10.1',
      '2.0.0',
      '10.0.0',
    ];
    // A fixed shuffle, so a failure is reproducible.
    const shuffled = [
      '1.10.0',
      '1.0.0-beta.11',
      '10.0.0',
      '1.0.0',
      '0.1.0',
      '1.0.0-alpha.beta',
      '1.9.0',
      '1.0.0-rc.1',
      '2.0.0',
      '1.0.0-alpha',
      '1.10.1',
      '1.0.0-beta.2',
      '0.0.1',
      '1.2.0',
      '1.0.0-beta',
      '1.0.0-alpha.1',
    ];
    expect([...shuffled].sort()).not.toEqual(sorted); // lexical order would be wrong
    expect([...shuffled].sort(compareVersions)).toEqual(sorted);
    expect([...sorted].reverse().sort(compareVersions)).toEqual(sorted);
  });
});

describe('bumpVersion', () => {
  it('starts a module at 0.0.1, 0.1.0 or 1.0.0', () => {
    expect(bumpVersion(undefined, 'patch')).toBe('0.0.1');
    expect(bumpVersion(undefined, 'minor')).toBe('0.1.0');
    expect(bumpVersion(undefined, 'major')).toBe('1.0.0');
  });

  it('bumps a release and resets the lower numbers', () => {
    expect(bumpVersion('1.4.2', 'patch')).toBe('1.4.3');
    expect(bumpVersion('1.4.2', 'minor')).toBe('1.5.0');
    expect(bumpVersion('1.4.2', 'major')).toBe('2.0.0');
    expect(bumpVersion('1.9.0', 'minor')).toBe('1.10.0');
    expect(bumpVersion(parseVersion('0.0.9'), 'patch')).toBe('0.0.10');
  });

  it('drops the pre-release and always returns a later version', () => {
    expect(bumpVersion('1.4.0-rc.1', 'patch')).toBe('1.4.0');
    expect(bumpVersion('1.4.0-rc.1', 'minor')).toBe('1.5.0');
    expect(bumpVersion('1.4.0-rc.1', 'major')).toBe('2.0.0');
    for (const current of ['1.4.0-rc.1', '0.0.0', '1.2.3', '2.0.0-alpha']) {
      for (const kind of ['patch', 'minor', 'major'] as const) {
        expect(compareVersions(bumpVersion(current, kind), current)).toBeGreaterThan(0);
      }
    }
  });

  it('refuses an invalid current version', () => {
    expect(() => bumpVersion('v1.0.0', 'patch')).toThrow(/starts with "v"/);
  });
});
