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
/** The same comment at the end of a statement's last line: `DROP TABLE t; -- strata:lint-ignore …`. */
const TRAILING_IGNORE = /^[ \t]*;?[ \t]*--[ \t]*strata:lint-ignore\b[ \t]*(.*)$/m;
const RULE_ID = /^[a-z][a-z0-9]*\/[a-z0-9-]+$/;

/**
 * Finds the `-- strata:lint-ignore <rule>[, <rule>] [reason]` lines of a text. The rule ids come
 * first; the first word that is not a rule id starts the reason.
 */
export function findIgnoreComments(text: string): IgnoreComment[] {
  if (!text.includes('lint-ignore')) return [];
  const found: IgnoreComment[] = [];
  for (const match of text.matchAll(IGNORE_LINE)) found.push({ rules: ruleIds(match[1]!), offset: match.index!, used: new Set() });
  return found;
}

/**
 * The `-- strata:lint-ignore` comment on the rest of a statement's last line (`after` is the text
 * that follows the statement), if any: it belongs to that statement, not to the next one.
 */
export function findTrailingIgnore(after: string): IgnoreComment | undefined {
  if (!after.includes('lint-ignore')) return undefined;
  const newline = after.indexOf('\n');
  const match = TRAILING_IGNORE.exec(newline < 0 ? after : after.slice(0, newline));
  return match ? { rules: ruleIds(match[1]!), offset: match.index + match[0].indexOf('--'), used: new Set() } : undefined;
}

/** The rule ids at the start of an ignore's argument; the first other word starts the reason. */
function ruleIds(argument: string): string[] {
  const rules: string[] = [];
  for (const word of argument.split(/[\s,]+/).filter(Boolean)) {
    if (!RULE_ID.test(word)) break;
    rules.push(word);
  }
  return rules;
}
