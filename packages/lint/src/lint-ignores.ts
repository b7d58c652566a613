/** A `-- strata:lint-ignore` comment. */
export interface IgnoreComment {
  /** Rule ids it names. */
  rules: string[];
  /** Index of the comment in the text it was found in. */
  offset: number;
  /** Rule ids that suppressed a finding. */
  used: Set<string>;
}

const IGNORE_LINE = /^[ \t]*--[ \t]*strata:lint-ignore\b[ \t]*(.*)$/gm;
const RULE_ID = /^[a-z][a-z0-9]*\/[a-z0-9-]+$/;

/**
 * Finds the `-- strata:lint-ignore <rule>[, <rule>] [reason]` lines of a text. The rule ids come
 * first; the first word that is not a rule id starts the reason.
 */
export function findIgnoreComments(text: string): IgnoreComment[] {
  if (!text.includes('lint-ignore')) return [];
  const found: IgnoreComment[] = [];
  for (const match of text.matchAll(IGNORE_LINE)) {
    const rules: string[] = [];
    for (const word of match[1]!.split(/[\s,]+/).filter(Boolean)) {
      if (!RULE_ID.test(word)) break;
      rules.push(word);
    }
    found.push({ rules, offset: match.index!, used: new Set() });
  }
  return found;
}
