import { StrataError } from './errors.js';

/** A parsed strict SemVer 2.0 version (no `v` prefix, no leading zeros, no build metadata). */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release identifiers (`rc.1` → `['rc', 1]`); empty for a release. */
  readonly prerelease: readonly (string | number)[];
  /** The canonical text, identical to the input that parsed. */
  readonly text: string;
}

const NUMERIC = /^(?:0|[1-9][0-9]*)$/;
const PRERELEASE_ID = /^(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)$/;

/** The common case, checked with one regex before the detailed checks. */
const PLAIN_RELEASE = /^(?:0|[1-9][0-9]{0,14})\.(?:0|[1-9][0-9]{0,14})\.(?:0|[1-9][0-9]{0,14})$/;
/** PLAIN_RELEASE with the three numbers captured: the one-regex path for nearly every version. */
const PLAIN_RELEASE_PARTS = /^(0|[1-9][0-9]{0,14})\.(0|[1-9][0-9]{0,14})\.(0|[1-9][0-9]{0,14})$/;
const NO_PRERELEASE: readonly (string | number)[] = Object.freeze([]);

/** Why a text is not a valid version, or `undefined` when it is one. */
export function versionProblem(text: string): string | undefined {
  // Up to 15 digits is always below 2^53 - 1.
  if (PLAIN_RELEASE.test(text)) return undefined;
  if (typeof text !== 'string' || text.length === 0) return 'it is empty';
  if (text !== text.trim()) return 'it has leading or trailing white space';
  if (/^[vV]/.test(text)) return 'it starts with "v"; write 1.2.3, not v1.2.3';
  if (text.includes('+')) return 'build metadata (+…) is not allowed';
  if (/[^\x21-\x7e]/.test(text)) return 'it holds a character that is not plain ASCII';
  const dash = text.indexOf('-');
  const core = dash === -1 ? text : text.slice(0, dash);
  const parts = core.split('.');
  if (parts.length !== 3) return `it needs three numbers MAJOR.MINOR.PATCH, found ${parts.length}`;
  for (const part of parts) {
    if (part === '') return 'a number is missing';
    if (!/^[0-9]+$/.test(part)) return `"${part}" is not a number`;
    if (!NUMERIC.test(part)) return `"${part}" has a leading zero`;
    if (!Number.isSafeInteger(Number(part))) return `"${part}" is larger than 2^53 - 1`;
  }
  if (dash !== -1) {
    const pre = text.slice(dash + 1);
    if (pre === '') return 'the pre-release after "-" is empty';
    for (const id of pre.split('.')) {
      if (id === '') return 'a pre-release identifier is empty';
      if (!/^[0-9A-Za-z-]+$/.test(id)) return `pre-release identifier "${id}" holds a character other than [0-9A-Za-z-]`;
      if (!PRERELEASE_ID.test(id)) return `pre-release identifier "${id}" has a leading zero`;
      if (/^[0-9]+$/.test(id) && !Number.isSafeInteger(Number(id))) return `pre-release identifier "${id}" is larger than 2^53 - 1`;
    }
  }
  return undefined;
}

/** True when `text` is a strict SemVer 2.0 version strata accepts. */
export function isValidVersion(text: string): boolean {
  return versionProblem(text) === undefined;
}

/**
 * Parses a strict SemVer 2.0 version.
 * @throws StrataError `STRATA_INVALID_VERSION` naming the text and what is wrong with it
 * @example parseVersion('1.4.0-rc.1') // { major: 1, minor: 4, patch: 0, prerelease: ['rc', 1] }
 */
export function parseVersion(text: string): Version {
  const plain = typeof text === 'string' ? PLAIN_RELEASE_PARTS.exec(text) : null;
  if (plain) return { major: Number(plain[1]), minor: Number(plain[2]), patch: Number(plain[3]), prerelease: NO_PRERELEASE, text };
  const problem = versionProblem(text);
  if (problem) {
    throw new StrataError('STRATA_INVALID_VERSION', `Invalid version ${JSON.stringify(text)}: ${problem}`, {
      hint: 'Versions are strict SemVer: MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.4.0 or 1.4.0-rc.1',
    });
  }
  const dash = text.indexOf('-');
  const core = (dash === -1 ? text : text.slice(0, dash)).split('.').map(Number);
  const prerelease =
    dash === -1
      ? []
      : text
          .slice(dash + 1)
          .split('.')
          .map((id) => (/^[0-9]+$/.test(id) ? Number(id) : id));
  return { major: core[0]!, minor: core[1]!, patch: core[2]!, prerelease, text };
}

/** Compares two versions by SemVer precedence: negative, zero or positive. */
export function compareVersions(a: Version | string, b: Version | string): number {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  if (x.major !== y.major) return x.major - y.major;
  if (x.minor !== y.minor) return x.minor - y.minor;
  if (x.patch !== y.patch) return x.patch - y.patch;
  const xp = x.prerelease;
  const yp = y.prerelease;
  if (xp.length === 0 || yp.length === 0) return yp.length - xp.length;
  const n = Math.min(xp.length, yp.length);
  for (let i = 0; i < n; i++) {
    const l = xp[i]!;
    const r = yp[i]!;
    if (l === r) continue;
    const ln = typeof l === 'number';
    const rn = typeof r === 'number';
    if (ln && rn) return (l as number) - (r as number);
    if (ln) return -1;
    if (rn) return 1;
    return (l as string) < (r as string) ? -1 : 1;
  }
  return xp.length - yp.length;
}

/** Formats a version back to its canonical text. */
export function formatVersion(version: Version): string {
  const core = `${version.major}.${version.minor}.${version.patch}`;
  return version.prerelease.length ? `${core}-${version.prerelease.join('.')}` : core;
}

/** The next version after `current` for a major, minor or patch bump (pre-release dropped). */
export function bumpVersion(current: Version | string | undefined, kind: 'major' | 'minor' | 'patch'): string {
  if (current === undefined) return kind === 'patch' ? '0.0.1' : kind === 'minor' ? '0.1.0' : '1.0.0';
  const v = typeof current === 'string' ? parseVersion(current) : current;
  if (kind === 'major') return `${v.major + 1}.0.0`;
  if (kind === 'minor') return `${v.major}.${v.minor + 1}.0`;
  return v.prerelease.length ? `${v.major}.${v.minor}.${v.patch}` : `${v.major}.${v.minor}.${v.patch + 1}`;
}
