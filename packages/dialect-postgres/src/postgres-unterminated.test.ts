import { describe, expect, it } from 'vitest';
import { findUnterminated } from './postgres-unterminated.js';

describe('findUnterminated', () => {
  it.each([
    ["SELECT 'a';\nSELECT $$x$$; -- 'no\n/* a /* b */ c */ SELECT \"q\";", undefined],
    ["SELECT 1;\nSELECT 'abc;\n", { kind: 'quoted string', line: 2 }],
    ["SELECT E'a\\'b;\n", { kind: 'quoted string', line: 1 }],
    ["SELECT 'it''s';\nSELECT \"x;\n", { kind: 'quoted identifier', line: 2 }],
    ['CREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n', { kind: 'dollar quote', line: 1 }],
    ['SELECT 1;\n\n/* a /* b */\nSELECT 2;', { kind: '/* comment', line: 3 }],
  ])('finds what %j leaves open', (script, expected) => {
    expect(findUnterminated(script)).toEqual(expected);
  });
});
