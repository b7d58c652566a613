import * as crypto from 'node:crypto';

/**
 * The canonical text a checksum is computed from (`sha256-v1`): one leading UTF-8 BOM stripped,
 * CRLF and lone CR turned into LF. Nothing else changes, so editing a comment changes the checksum.
 */
export function canonicalText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.indexOf('\r') === -1 ? noBom : noBom.replace(/\r\n?/g, '\n');
}

// `crypto.hash` (Node 20.12+) is a one-shot digest without a Hash object per call: it matters
// when a thousand files are hashed on every run.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** SHA-256 (lower-case hex) of the canonical form of `text` — the `sha256-v1` algorithm. */
export function checksum(text: string): string {
  const canonical = canonicalText(text);
  return oneShot ? oneShot('sha256', canonical, 'hex') : crypto.createHash('sha256').update(canonical, 'utf8').digest('hex');
}
