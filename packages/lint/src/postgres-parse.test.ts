import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePostgresScript, parsePostgresScripts } from './postgres-parse.js';

const corpusScripts = () =>
  readFileSync(new URL('../test/corpus/postgres.sql', import.meta.url), 'utf8')
    .split(/^-- case: .*$/m)
    .slice(1)
    .map((chunk) => chunk.replace(/^-- (given|transaction|lock-timeout|expect): .*$/gm, '').trim());

/** Trees without their offsets (`location`, `…_start`, `…_end`: positions in the text the parser saw, the joined batch). */
const withoutLocations = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (key, v: unknown) => (key === 'location' || key.endsWith('_start') || key.endsWith('_end') ? undefined : v)),
  );

describe('parsePostgresScripts', () => {
  it('splits a batch exactly as each script alone (statements, positions, leading comments, trees)', async () => {
    const scripts = [
      ...corpusScripts().filter((sql) => !sql.includes('ADD COLUM bio') && !sql.includes('(age > 0;')),
      '-- only a comment',
      'SELECT 1 -- no semicolon, a comment last',
      "COMMENT ON TABLE t IS 'café ☕ 𝄞'; /* nested /* comment */ */ SELECT 2",
      '',
    ];
    const batch = await parsePostgresScripts(scripts);
    const alone = await Promise.all(scripts.map((sql) => parsePostgresScript(sql)));
    expect(withoutLocations(batch)).toEqual(withoutLocations(alone));
    expect(batch.flat().length).toBeGreaterThan(140);
    // One parser call was made: the trees carry offsets in the joined text.
    expect(JSON.stringify(batch)).not.toEqual(JSON.stringify(alone));
  });

  it('parses each script alone when one of them does not parse', async () => {
    const scripts = ['CREATE TABLE a (id int);', 'ALTER TABLE a ADD COLUM b int;\nDROP TABLE a;', "SELECT 'unterminated"];
    const batch = await parsePostgresScripts(scripts);
    expect(batch).toEqual(await Promise.all(scripts.map((sql) => parsePostgresScript(sql))));
    expect(batch[1]!.map((s) => [s.text, s.tree ? 'tree' : s.parseError !== undefined])).toEqual([
      ['ALTER TABLE a ADD COLUM b int', true],
      ['DROP TABLE a', 'tree'],
    ]);
  });
});
