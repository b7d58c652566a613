import { nodeCrypto } from './internal/builtin.js';

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
type OneShot = (algorithm: string, data: string, encoding: 'hex') => string;
let digest: ((text: string) => string) | undefined;
function sha256Hex(text: string): string {
  if (!digest) {
    const crypto = nodeCrypto();
    const oneShot = (crypto as { hash?: OneShot }).hash;
    digest = oneShot ? (t) => oneShot('sha256', t, 'hex') : (t) => crypto.createHash('sha256').update(t, 'utf8').digest('hex');
  }
  return digest(text);
}

/** SHA-256 (lower-case hex) of the canonical form of `text` — the `sha256-v1` algorithm. */
export function checksum(text: string): string {
  const canonical = canonicalText(text);
  return sha256Hex(canonical);
}
