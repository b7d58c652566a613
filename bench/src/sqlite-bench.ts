import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createFileSource, createMigrator } from '@strata/core';
import { createSqliteDialect } from '@strata/dialect-sqlite';
import { median, ratioRow, type Row } from './table.js';
import { smallMigrationSql, smallModule, smallVersion, writeSmallMigrations } from './workload.js';

interface Options {
  work: string;
  rounds: number;
  count: number;
  apply: boolean;
  status: boolean;
}

let fileNumber = 0;
const freshFile = (work: string) => join(work, `sqlite-${fileNumber++}.db`);

/** The floor: a hand-written better-sqlite3 loop, the same statements plus one insert per migration. */
function handLoop(filename: string, count: number, single: boolean): number {
  const started = performance.now();
  const db = new Database(filename);
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)');
  if (single) db.exec('BEGIN');
  for (let i = 0; i < count; i++) {
    if (!single) db.exec('BEGIN');
    db.exec(smallMigrationSql(i));
    insert.run(smallVersion(i), new Date().toISOString());
    if (!single) db.exec('COMMIT');
  }
  if (single) db.exec('COMMIT');
  db.close();
  return performance.now() - started;
}

async function strataUp(filename: string, count: number, singleTransaction: boolean): Promise<number> {
  const module = smallModule(count);
  const started = performance.now();
  const migrator = createMigrator({ dialect: createSqliteDialect({ filename }), sources: [module] });
  const report = await migrator.up({ singleTransaction });
  await migrator.close();
  const ms = performance.now() - started;
  if (report.steps.length !== count) throw new Error(`sqlite bench: applied ${report.steps.length} of ${count}`);
  return ms;
}

export async function benchSqlite(options: Options): Promise<Row[]> {
  const { work, rounds, count } = options;
  const rows: Row[] = [];
  if (options.apply) {
    const samples = { loop: [] as number[], strata: [] as number[], loopSingle: [] as number[], strataSingle: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      samples.loop.push(handLoop(freshFile(work), count, false));
      samples.strata.push(await strataUp(freshFile(work), count, false));
      samples.loopSingle.push(handLoop(freshFile(work), count, true));
      samples.strataSingle.push(await strataUp(freshFile(work), count, true));
    }
    const w = `SQLite W2: ${count} small migrations`;
    const loop = median(samples.loop);
    const loopSingle = median(samples.loopSingle);
    rows.push({ workload: w, subject: 'better-sqlite3 loop, tx each', ms: loop });
    rows.push(ratioRow(w, 'strata up (tx each + state row + event)', median(samples.strata), 'loop, tx each', loop, 1.3));
    rows.push({ workload: w, subject: 'better-sqlite3 loop, one tx', ms: loopSingle });
    rows.push(ratioRow(w, 'strata up --single-transaction', median(samples.strataSingle), 'loop, one tx', loopSingle, 1.3));
  }
  if (options.status) {
    const memoryFile = freshFile(work);
    await strataUp(memoryFile, count, true);
    const folder = join(work, 'status-migrations');
    writeSmallMigrations(folder, count);
    const filesFile = freshFile(work);
    const fromFiles = createMigrator({
      dialect: createSqliteDialect({ filename: filesFile }),
      sources: [createFileSource({ directory: folder })],
    });
    await fromFiles.up({ singleTransaction: true });
    const inMemory = createMigrator({ dialect: createSqliteDialect({ filename: memoryFile }), sources: [smallModule(count)] });
    const memorySamples: number[] = [];
    const fileSamples: number[] = [];
    const upSamples: number[] = [];
    for (let r = 0; r < Math.max(10, rounds); r++) {
      let started = performance.now();
      const status = await inMemory.status();
      memorySamples.push(performance.now() - started);
      if (status.problems.length || status.migrations.some((m) => m.state !== 'applied')) throw new Error('status bench: unexpected state');
      started = performance.now();
      await fromFiles.status();
      fileSamples.push(performance.now() - started);
      started = performance.now();
      const up = await fromFiles.up();
      upSamples.push(performance.now() - started);
      if (up.steps.length) throw new Error('W3 bench: expected nothing to do');
    }
    const w = `SQLite status, ${count} applied`;
    const memory = median(memorySamples);
    const files = median(fileSamples);
    rows.push({ workload: w, subject: 'status (in-memory module)', ms: memory, target: '< 30 ms', ok: memory < 30 });
    rows.push({ workload: w, subject: `status (${count} SQL files)`, ms: files, target: '< 30 ms', ok: files < 30 });
    rows.push({
      workload: `SQLite W3: up, nothing to do, ${count} applied`,
      subject: `strata up (${count} SQL files, in-process)`,
      ms: median(upSamples),
    });
    await inMemory.close();
  }
  return rows;
}
