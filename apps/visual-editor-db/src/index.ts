export { bootstrapDatabase, type BootstrapOptions, type BootstrapResult } from './bootstrap.js';
