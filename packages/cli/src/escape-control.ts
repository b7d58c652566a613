/**
 * C0 controls but TAB, DEL, C1 controls (U+0080–U+009F: a terminal may take U+009B as CSI), the
 * Unicode line and paragraph separators, and the bidirectional overrides and isolates that can
 * make a name read differently from what it is ("Trojan Source").
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The only escape sequences strata writes itself: its four colours (bold, red, green, yellow, and their ends). */
// eslint-disable-next-line no-control-regex
const OWN_SGR_OR_CONTROL = /\u001b\[(?:1|22|31|32|33|39)m|[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = {
  '\n': '\\n',
  '\r': '\\r',
  '\u001b': '\\e',
  '\b': '\\b',
  '\f': '\\f',
  '\v': '\\v',
  '\u0000': '\\0',
};

function visible(character: string): string {
  const named = NAMED[character];
  if (named) return named;
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Makes a line of human output safe for a terminal: every control character (ESC, CR, LF, the
 * other C0 and C1 codes, bidi overrides) is shown as a visible escape (`\e`, `\r`, `\n`, `\x07`,
 * `\u202e`), so a file name, a SQL excerpt or a server message can never move the cursor, clear
 * the screen, recolour the terminal or forge a line of output. With `keepColors`, strata's own
 * colour codes (and only those) pass through. TAB is kept.
 * @example escapeControl('1.0.0\u001b[2J_x.sql') // '1.0.0\\e[2J_x.sql'
 */
export function escapeControl(text: string, keepColors = false): string {
  if (keepColors) return text.replace(OWN_SGR_OR_CONTROL, (match) => (match.length > 1 ? match : visible(match)));
  return text.replace(CONTROL, visible);
}

/** A JSON document with DEL and C1 characters escaped too (JSON.stringify leaves them raw; still valid JSON). */
export function escapeJsonControl(json: string): string {
  // eslint-disable-next-line no-control-regex
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
