import { createRequire } from 'node:module';

/**
 * `node:crypto` loaded on first use. A run that trusts the checksum cache hashes nothing, and
 * loading crypto (with the stream modules it pulls in) is ~3 ms of every CLI start on Node 20.
 * `process.getBuiltinModule` exists from Node 20.16; before that, a require rooted at the node
 * binary (always an absolute path that exists) resolves the builtin.
 */
let crypto: typeof import('node:crypto') | undefined;
export function nodeCrypto(): typeof import('node:crypto') {
  if (crypto) return crypto;
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  crypto = (getBuiltin ? getBuiltin('node:crypto') : createRequire(process.execPath)('node:crypto')) as typeof import('node:crypto');
  return crypto;
}
