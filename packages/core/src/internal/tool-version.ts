import manifest from '../../package.json' with { type: 'json' };

/** `@strata/core`'s version, recorded in every state row and event (inlined at build time). */
export const TOOL_VERSION: string = manifest.version;
