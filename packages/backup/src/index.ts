export * from './backup-manager.js';
export * from './backup-manager-types.js';
export * from './backup-manifest.js';
export * from './backup-provider.js';
export * from './backup-hook.js';
export * from './backup-preflight.js';
export * from './backup-event.js';
export * from './tool-version.js';
