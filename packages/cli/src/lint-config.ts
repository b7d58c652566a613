/** Every key of a config's `lint` object. */
export const LINT_CONFIG_KEYS = ['rules', 'ignore'] as const;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the shape of a config's `lint` object. Rule ids are checked by `@strata/lint` when
 * `strata lint` runs, so loading a config never loads the linter.
 */
export function checkLintConfigShape(lint: unknown, fail: (key: string, why: string, hint?: string) => never): void {
  if (!isPlainObject(lint)) fail('lint', 'must be an object { rules, ignore }');
  for (const key of Object.keys(lint as object)) {
    if (!(LINT_CONFIG_KEYS as readonly string[]).includes(key))
      fail(`key "lint.${key}"`, 'is not a config key', `Valid lint keys: ${LINT_CONFIG_KEYS.join(', ')}`);
  }
  const { rules, ignore } = lint as Record<string, unknown>;
  if (rules !== undefined) {
    if (!isPlainObject(rules)) fail('lint.rules', "must be an object { 'rule/id': 'error' | 'warning' | 'off' }");
    for (const [id, setting] of Object.entries(rules as object)) {
      if (setting !== 'error' && setting !== 'warning' && setting !== 'off')
        fail(`lint.rules.${id}`, `must be "error", "warning" or "off", not ${JSON.stringify(setting)}`);
    }
  }
  if (ignore !== undefined) {
    if (!Array.isArray(ignore)) fail('lint.ignore', 'must be an array of { migration, rules, reason }');
    for (const [index, entry] of (ignore as unknown[]).entries()) {
      const ok =
        isPlainObject(entry) &&
        typeof entry.migration === 'string' &&
        Array.isArray(entry.rules) &&
        entry.rules.every((r) => typeof r === 'string') &&
        typeof entry.reason === 'string' &&
        entry.reason.trim() !== '';
      if (!ok) fail(`lint.ignore[${index}]`, 'must be { migration: "app@1.2.0", rules: ["rule/id"], reason: "why it is accepted" }');
    }
  }
}
