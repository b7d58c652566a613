import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createBackupManager } from '@strata/backup';
import { createPostgresBackupProvider } from '@strata/dialect-postgres/backup';
import { createSqliteBackupProvider } from '@strata/dialect-sqlite/backup';
import { adminQuery, databaseUrl } from './pg-database.js';
import { median, ratioRow, type Row } from './table.js';

const MB = 1024 * 1024;

/** A SQLite file of about `megabytes` MB: rows of random text and blobs, with an index. */
function makeSqlite(file: string, megabytes: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(
    'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, payload BLOB NOT NULL); CREATE INDEX idx_items_name ON items (name);',
  );
  const rows = Math.round((megabytes * MB) / 1150);
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
           INSERT INTO items (name, payload) SELECT hex(randomblob(16)), randomblob(1000) FROM n`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** A PostgreSQL database of about `megabytes` MB (on disk). */
async function makePostgres(name: string, megabytes: number): Promise<string> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = Math.round((megabytes * MB) / 1200);
    await client.query(`CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, payload text NOT NULL)`);
    // Incompressible-ish payload so pg_dump's compression does not make the comparison trivial.
    await client.query(
      `INSERT INTO items SELECT g, md5(g::text), string_agg(md5(random()::text), '') FROM generate_series(1, ${rows}) g, generate_series(1, 32) k GROUP BY g`,
    );
    await client.query('CREATE INDEX idx_items_name ON items (name)');
    await client.query('VACUUM ANALYZE items');
  } finally {
    await client.end();
  }
  return url;
}

function timed(command: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  return performance.now() - started;
}

/**
 * Backups of a ~200 MB database: strata's create (hash + manifest) vs the raw tool; verify apart.
 * SQLite also reports the hash alone (what no plain-SHA-256 design can go below) and the path
 * used for databases above the in-memory threshold.
 */
export async function benchBackup(options: { work: string; rounds: number; megabytes: number }): Promise<Row[]> {
  const { work, rounds, megabytes } = options;
  const rows: Row[] = [];
  const sqliteFile = join(work, 'backup-source.db');
  makeSqlite(sqliteFile, megabytes);
  const sqliteSize = statSync(sqliteFile).size;
  const sqliteRaw: number[] = [];
  const sqliteStrata: number[] = [];
  const sqliteVerify: number[] = [];
  const sqliteBackupApi: number[] = [];
  const sqliteHashOnly: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const out = join(work, `raw-${r}.db`);
    sqliteRaw.push(timed('sqlite3', [sqliteFile, `.backup '${out}'`]));
    rmSync(out, { force: true });
    const directory = join(work, `sqlite-backups-${r}`);
    mkdirSync(directory, { recursive: true });
    // The default provider: the in-memory path (sqlite3_serialize, hashed while written) at this size.
    const manager = createBackupManager({ provider: createSqliteBackupProvider({ filename: sqliteFile }), directory });
    let started = performance.now();
    const result = await manager.create({ verify: false });
    sqliteStrata.push(performance.now() - started);
    started = performance.now();
    const verified = await manager.verify(result.manifest.id);
    sqliteVerify.push(performance.now() - started);
    if (!verified.ok) throw new Error('backup bench: SQLite verify failed');
    // The floor of any plain-SHA-256 design on this CPU: hashing the copy's bytes, already in memory.
    const bytes = readFileSync(result.path);
    started = performance.now();
    createHash('sha256').update(bytes).digest('hex');
    sqliteHashOnly.push(performance.now() - started);
    // The path used above the in-memory threshold: online backup API, then the file hashed.
    const apiManager = createBackupManager({
      provider: createSqliteBackupProvider({ filename: sqliteFile, inMemoryCopyMaxBytes: 0 }),
      directory,
    });
    started = performance.now();
    await apiManager.create({ verify: false });
    sqliteBackupApi.push(performance.now() - started);
    rmSync(directory, { recursive: true, force: true });
  }
  // In-place restores (issue 12): strata restore (verify, then the backup's pages into the live
  // file in one write transaction) vs `sqlite3 live ".restore 'backup'"`, each into a fresh copy.
  const sqliteRestoreRaw: number[] = [];
  const sqliteRestoreStrata: number[] = [];
  {
    const directory = join(work, 'sqlite-restore-backups');
    mkdirSync(directory, { recursive: true });
    const source = createBackupManager({ provider: createSqliteBackupProvider({ filename: sqliteFile }), directory });
    const backup = await source.create();
    for (let r = 0; r < rounds; r++) {
      const live = join(work, `restore-live-${r}.db`);
      const raw = () => {
        copyFileSync(sqliteFile, live);
        sqliteRestoreRaw.push(timed('sqlite3', [live, `.restore '${backup.path}'`]));
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${live}${suffix}`, { force: true });
      };
      const strata = async () => {
        copyFileSync(sqliteFile, live);
        const manager = createBackupManager({ provider: createSqliteBackupProvider({ filename: live }), directory });
        const started = performance.now();
        await manager.restore(backup.manifest.id, { allowOtherTarget: true });
        sqliteRestoreStrata.push(performance.now() - started);
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${live}${suffix}`, { force: true });
      };
      // Alternate which goes first: the second pays for the first's dirty pages being flushed.
      if (r % 2 === 0) {
        raw();
        await strata();
      } else {
        await strata();
        raw();
      }
    }
    rmSync(directory, { recursive: true, force: true });
  }

  const w = `backup, SQLite ${(sqliteSize / MB).toFixed(0)} MB`;
  const raw = median(sqliteRaw);
  rows.push({ workload: w, subject: 'sqlite3 db ".backup"', ms: raw });
  rows.push(
    ratioRow(w, 'strata backup create (serialize + write ‖ SHA-256 + fsync + manifest)', median(sqliteStrata), 'sqlite3 .backup', raw, 1.5),
  );
  rows.push({ workload: w, subject: 'strata backup verify (SHA-256 + integrity_check)', ms: median(sqliteVerify) });
  rows.push({
    workload: w,
    subject: 'SHA-256 of the copy alone (in memory; the floor of the create)',
    ms: median(sqliteHashOnly),
    baseline: 'sqlite3 .backup',
    baselineMs: raw,
  });
  rows.push({
    workload: w,
    subject: 'strata backup create above the in-memory threshold (online API, then SHA-256)',
    ms: median(sqliteBackupApi),
    baseline: 'sqlite3 .backup',
    baselineMs: raw,
  });
  const rawRestore = median(sqliteRestoreRaw);
  rows.push({ workload: w, subject: 'sqlite3 live ".restore backup"', ms: rawRestore });
  rows.push(
    ratioRow(
      w,
      'strata backup restore in place (SHA-256 check, then backup API in one write transaction)',
      median(sqliteRestoreStrata),
      'sqlite3 .restore',
      rawRestore,
      1.3,
    ),
  );

  const name = `strata_bench_backup_${process.pid}`;
  const url = await makePostgres(name, megabytes);
  try {
    const pgRaw: number[] = [];
    const pgStrata: number[] = [];
    const pgVerify: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const out = join(work, `raw-${r}.dump`);
      pgRaw.push(timed('pg_dump', ['-Fc', '-f', out, url]));
      rmSync(out, { force: true });
      const directory = join(work, `pg-backups-${r}`);
      mkdirSync(directory, { recursive: true });
      const manager = createBackupManager({ provider: createPostgresBackupProvider({ connectionString: url }), directory });
      let started = performance.now();
      const result = await manager.create({ verify: false });
      pgStrata.push(performance.now() - started);
      started = performance.now();
      const verified = await manager.verify(result.manifest.id);
      pgVerify.push(performance.now() - started);
      if (!verified.ok) throw new Error('backup bench: PostgreSQL verify failed');
      rmSync(directory, { recursive: true, force: true });
    }
    // In-place restores (issue 12): strata restore (verify, then drop the covered schemas and replay
    // the dump in one transaction) vs `pg_restore` into an empty database.
    const pgRestoreRaw: number[] = [];
    const pgRestoreStrata: number[] = [];
    const restoreDirectory = join(work, 'pg-restore-backups');
    mkdirSync(restoreDirectory, { recursive: true });
    const restoreManager = createBackupManager({
      provider: createPostgresBackupProvider({ connectionString: url }),
      directory: restoreDirectory,
    });
    const restoreBackup = await restoreManager.create();
    const empty = `${name}_empty`;
    try {
      for (let r = 0; r < rounds; r++) {
        await adminQuery(`DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`);
        await adminQuery(`CREATE DATABASE ${empty} TEMPLATE template0`);
        const raw = () =>
          pgRestoreRaw.push(
            timed('pg_restore', ['--no-owner', '--single-transaction', '--exit-on-error', '-d', databaseUrl(empty), restoreBackup.path]),
          );
        const strata = async () => {
          const started = performance.now();
          await restoreManager.restore(restoreBackup.manifest.id);
          pgRestoreStrata.push(performance.now() - started);
        };
        // Alternate which goes first: the second pays for the first's checkpoint.
        await adminQuery('CHECKPOINT');
        if (r % 2 === 0) {
          raw();
          await adminQuery('CHECKPOINT');
          await strata();
        } else {
          await strata();
          await adminQuery('CHECKPOINT');
          raw();
        }
      }
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`);
      rmSync(restoreDirectory, { recursive: true, force: true });
    }

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const size = Number((await client.query('SELECT pg_database_size(current_database()) AS size')).rows[0].size);
    await client.end();
    const wp = `backup, PostgreSQL ${(size / MB).toFixed(0)} MB`;
    const rawPg = median(pgRaw);
    rows.push({ workload: wp, subject: 'pg_dump -Fc', ms: rawPg });
    rows.push(
      ratioRow(wp, 'strata backup create (pg_dump -Fc + version check + SHA-256 + manifest)', median(pgStrata), 'pg_dump -Fc', rawPg, 1.1),
    );
    rows.push({ workload: wp, subject: 'strata backup verify (SHA-256 + pg_restore --list)', ms: median(pgVerify) });
    const rawPgRestore = median(pgRestoreRaw);
    rows.push({ workload: wp, subject: 'pg_restore --single-transaction into an empty database', ms: rawPgRestore });
    rows.push(
      ratioRow(
        wp,
        'strata backup restore in place (SHA-256 check, then drop + replay in one transaction)',
        median(pgRestoreStrata),
        'pg_restore',
        rawPgRestore,
        1.3,
      ),
    );
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  return rows;
}
