import type { Dialect, SqlStatement } from '../dialect.js';
import { isStrataError } from '../errors.js';
import type { Problem } from '../problem.js';
import type { LoadedMigration } from './load-migrations.js';

/**
 * What `validate` checks in every section of every migration without a database: a section that
 * holds no statement, a script the dialect cannot split, and (in a transactional migration) a
 * statement that cannot run in a transaction — in the down section too, which a run only meets
 * when it reverts, after the file is applied and can no longer be edited freely.
 */
export async function checkMigrationFiles(
  dialect: Pick<Dialect, 'splitStatements' | 'findNonTransactional'>,
  migrations: readonly LoadedMigration[],
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const migration of migrations) {
    const body = migration.body;
    if (!body) continue; // its problem is already reported by the source
    const sections: ['up' | 'down', unknown, number | undefined][] = [
      ['up', body.up, body.upLine],
      ['down', body.down, body.downLine],
    ];
    for (const [section, text, sectionLine] of sections) {
      if (section === 'down' && text === undefined) {
        // A `-- strata:down` marker followed by comments only: a down that reverts nothing.
        if (body.downLine !== undefined) problems.push(emptySection(migration, 'down', body.downLine));
        continue;
      }
      if (typeof text !== 'string') continue;
      await checkSection(dialect, migration, section, text, sectionLine ?? 1, problems);
    }
  }
  return problems;
}

async function checkSection(
  dialect: Pick<Dialect, 'splitStatements' | 'findNonTransactional'>,
  migration: LoadedMigration,
  section: 'up' | 'down',
  text: string,
  sectionLine: number,
  problems: Problem[],
): Promise<void> {
  const where = migration.file ?? migration.id;
  let statements: SqlStatement[];
  try {
    statements = await dialect.splitStatements(text);
  } catch (error) {
    problems.push({
      code: 'STRATA_INVALID_MIGRATION',
      message: `${where}: the ${section} section cannot be split into statements: ${isStrataError(error) || error instanceof Error ? error.message : String(error)}`,
      hint: 'Check quotes, dollar quotes and comments around the reported place',
      migrationId: migration.id,
      ...(migration.file ? { file: migration.file } : {}),
    });
    return;
  }
  if (statements.length === 0) {
    problems.push(emptySection(migration, section, sectionLine));
    return;
  }
  if (!migration.transaction) return;
  const found = (await dialect.findNonTransactional(text))[0];
  if (!found) return;
  const line = sectionLine + found.line - 1;
  problems.push({
    code: 'STRATA_NON_TRANSACTIONAL_STATEMENT',
    message: `Migration ${migration.id} (${where}, ${section} section, statement ${found.index}, line ${line}) holds a statement that cannot run in a transaction: ${found.nonTransactional ?? found.text.slice(0, 60)}`,
    hint:
      'Add `-- strata:transaction off` at the top of the file (the migration then runs statement by statement, outside a transaction); ' +
      `if ${migration.id} is already applied, the edit changes its checksum: record it with \`strata repair --accept-checksum ${migration.id}\``,
    migrationId: migration.id,
    ...(migration.file ? { file: migration.file } : {}),
    details: { section, statement: found.index, line },
  });
}

function emptySection(migration: LoadedMigration, section: 'up' | 'down', line: number): Problem {
  const where = migration.file ?? migration.id;
  return {
    code: 'STRATA_INVALID_MIGRATION',
    message: `${where}:${line}: the ${section} section holds no statement (only comments, blanks or semicolons)`,
    hint:
      section === 'up'
        ? 'Write the statements to apply after -- strata:up'
        : 'Write the statements that undo the change after -- strata:down, or delete the -- strata:down line if it cannot be undone',
    migrationId: migration.id,
    ...(migration.file ? { file: migration.file } : {}),
    details: { section, line },
  };
}
