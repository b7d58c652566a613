import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LINT_RULES, type LintDialect, type LintMigration, lintMigrations } from '../src/index.js';

/**
 * The labelled corpus: `test/corpus/<dialect>.sql` holds cases, each one migration:
 *
 *   -- case: <rule id or none> <+ (the rule should fire) | - (it should not)> description
 *   -- given: <SQL of an earlier, already applied migration>   (optional, repeatable)
 *   -- transaction: off                                        (optional)
 *   -- lock-timeout: 0                                          (optional: the config's ddlLockTimeout)
 *   -- expect: <rule ids, repeated for each finding> | none
 *   <the migration's SQL>
 *
 * Labels are what a reviewer would flag, not what the linter says: the cases where the two differ
 * are listed in KNOWN_MISSES, so the precision and recall below are measured, not assumed.
 */
interface CorpusCase {
  dialect: LintDialect;
  title: string;
  tag: string;
  positive: boolean;
  given: string[];
  transaction: boolean;
  lockTimeoutMs: number | undefined;
  expect: string[];
  sql: string;
}

function readCorpus(dialect: LintDialect): CorpusCase[] {
  const text = readFileSync(new URL(`./corpus/${dialect}.sql`, import.meta.url), 'utf8');
  const cases: CorpusCase[] = [];
  for (const chunk of text.split(/^(?=-- case: )/m).slice(1)) {
    const lines = chunk.split('\n');
    const header = /^-- case: (\S+) ([+-]) (.*)$/.exec(lines[0]!);
    if (!header) throw new Error(`bad case line: ${lines[0]}`);
    const item: CorpusCase = {
      dialect,
      tag: header[1]!,
      positive: header[2] === '+',
      title: header[3]!,
      given: [],
      transaction: true,
      lockTimeoutMs: undefined,
      expect: [],
      sql: '',
    };
    let i = 1;
    for (; i < lines.length; i++) {
      const meta = /^-- (given|transaction|lock-timeout|expect): (.*)$/.exec(lines[i]!);
      if (!meta) break;
      const [, key, value] = meta;
      if (key === 'given') item.given.push(value!);
      else if (key === 'transaction') item.transaction = value !== 'off';
      else if (key === 'lock-timeout') item.lockTimeoutMs = Number(value);
      else item.expect = value === 'none' ? [] : value!.split(/\s*,\s*/);
    }
    item.sql = lines.slice(i).join('\n').trim();
    cases.push(item);
  }
  return cases;
}

/** Cases where the linter and the label disagree on purpose: limits written down, not hidden. */
const KNOWN_MISSES = [
  // The old type of customers.name is not in any migration the linter read.
  'postgres: pg/alter-column-type - widening when the old type is unknown to the linter (known false positive)',
  // PL/pgSQL bodies are strings to the parser.
  'postgres: pg/index-not-concurrent + DDL hidden in a DO block (known false negative: the rules do not read PL/pgSQL)',
  // Without the child's CREATE TABLE the cascade is invisible.
  'sqlite: sqlite/rebuild-cascade + the child was declared in a migration the linter did not read (known false negative)',
];

const count = (ids: readonly string[]) => ids.reduce((map, id) => map.set(id, (map.get(id) ?? 0) + 1), new Map<string, number>());

describe('the labelled corpus', () => {
  it('measures precision and recall per rule, with only the known misses', async () => {
    const tally = new Map<string, { tp: number; fp: number; fn: number }>();
    const row = (rule: string) => tally.get(rule) ?? tally.set(rule, { tp: 0, fp: 0, fn: 0 }).get(rule)!;
    const misses: string[] = [];
    let statements = 0;
    const cases = [...readCorpus('postgres'), ...readCorpus('sqlite')];
    for (const item of cases) {
      const migrations: LintMigration[] = [
        ...item.given.map((sql, index) => ({ id: `given@${index}`, sql, context: true })),
        { id: 'case@1.0.0', sql: item.sql, transaction: item.transaction },
      ];
      const report = await lintMigrations(migrations, {
        dialect: item.dialect,
        ...(item.lockTimeoutMs !== undefined ? { lockTimeoutMs: item.lockTimeoutMs } : {}),
      });
      statements += report.statements;
      const found = count(report.findings.map((f) => f.rule));
      const expected = count(item.expect);
      let same = true;
      for (const rule of new Set([...found.keys(), ...expected.keys()])) {
        const f = found.get(rule) ?? 0;
        const e = expected.get(rule) ?? 0;
        const tp = Math.min(f, e);
        row(rule).tp += tp;
        row(rule).fp += f - tp;
        row(rule).fn += e - tp;
        if (f !== e) same = false;
      }
      if (!same) misses.push(`${item.dialect}: ${item.tag} ${item.positive ? '+' : '-'} ${item.title}`);
    }

    const lines = ['| rule | TP | FP | FN | precision | recall |', '| --- | --- | --- | --- | --- | --- |'];
    const ratio = (a: number, b: number) => (b === 0 ? '–' : (a / b).toFixed(2));
    let sum = { tp: 0, fp: 0, fn: 0 };
    for (const info of LINT_RULES) {
      const t = tally.get(info.id) ?? { tp: 0, fp: 0, fn: 0 };
      sum = { tp: sum.tp + t.tp, fp: sum.fp + t.fp, fn: sum.fn + t.fn };
      lines.push(`| \`${info.id}\` | ${t.tp} | ${t.fp} | ${t.fn} | ${ratio(t.tp, t.tp + t.fp)} | ${ratio(t.tp, t.tp + t.fn)} |`);
    }
    lines.push(`| all | ${sum.tp} | ${sum.fp} | ${sum.fn} | ${ratio(sum.tp, sum.tp + sum.fp)} | ${ratio(sum.tp, sum.tp + sum.fn)} |`);
    console.log(`${cases.length} cases, ${statements} statements\n${lines.join('\n')}`);

    expect(statements).toBeGreaterThanOrEqual(150);
    expect(misses).toEqual(KNOWN_MISSES);
  });

  it('has a case where each rule fires and a case where it must not', () => {
    const cases = [...readCorpus('postgres'), ...readCorpus('sqlite')];
    const uncovered = LINT_RULES.flatMap((info) => {
      const tagged = cases.filter((c) => c.tag === info.id);
      const gaps: string[] = [];
      if (!tagged.some((c) => c.positive && c.expect.includes(info.id))) gaps.push(`${info.id}: no true positive`);
      if (!tagged.some((c) => !c.positive && !c.expect.includes(info.id))) gaps.push(`${info.id}: no true negative`);
      return gaps;
    });
    expect(uncovered).toEqual([]);
  });
});
