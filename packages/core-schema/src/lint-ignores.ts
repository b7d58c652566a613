/**
 * The `strata lint` findings accepted in the released `core` migrations, each with its reason. Their
 * text cannot change (any edit changes the checksum databases recorded), so the ignores live here
 * instead of in `-- strata:lint-ignore` comments. `strata lint` reads a module package's
 * `lintIgnores` export; the shape is `@strata/lint`'s `LintIgnore`.
 */
export const CORE_LINT_IGNORES: readonly { migration: string; rules: readonly string[]; reason: string }[] = [
  {
    migration: 'core@1.1.0',
    rules: ['pg/index-not-concurrent'],
    reason:
      'core@1.1.0 builds its 40 indexes in one transaction, usually right after core@1.0.0 created the tables empty; ' +
      'on a database where core@1.0.0 has been live for long, apply it in a quiet period (writes to each table wait for its index)',
  },
];
