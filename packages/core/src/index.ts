export * from './errors.js';
export * from './version.js';
export * from './checksum.js';
export * from './migration.js';
export * from './migration-source.js';
export * from './problem.js';
export * from './state.js';
export * from './dialect.js';
