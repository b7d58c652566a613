import { hash } from 'node:crypto';

/**
 * The canonical text a checksum is computed from (`sha256-v1`): one leading UTF-8 BOM stripped,
 * CRLF and lone CR turned into LF. Nothing else changes, so editing a comment changes the checksum.
 */
export function canonicalText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.indexOf('\r') === -1 ? noBom : noBom.replace(/\r\n?/g, '\n');
}

/** SHA-256 (lower-case hex) of the canonical form of `text` — the `sha256-v1` algorithm. */
export function checksum(text: string): string {
  // `hash` (Node 20.12+, the engines floor) is a one-shot digest: no Hash object per file.
  return hash('sha256', canonicalText(text), 'hex');
}
