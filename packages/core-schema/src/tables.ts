/** The module name `@strata/core-schema` registers its migrations under (ids `core@1.0.0`, …). */
export const CORE_MODULE_NAME = 'core';

/**
 * The tables `core@1.0.0` creates, parents before children (the order they are created in;
 * `down` drops them in reverse).
 */
export const CORE_TABLES = [
  'tenants',
  'users',
  'roles',
  'user_roles',
  'audit_logs',
  'visual_models',
  'execution_records',
  'custom_components',
] as const;

/** One of {@link CORE_TABLES}. */
export type CoreTableName = (typeof CORE_TABLES)[number];
