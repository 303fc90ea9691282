import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MigrationError, migrate, migrationChecksum, migrationFiles, migrations } from '../../generator/runtime/postgres/index.js';
import { findPostgresBinDir } from '../support/postgres.js';
import { useTestDatabase } from './db.js';

const db = useTestDatabase();
const versions = migrations.map((m) => m.version);

async function tables(pool: import('pg').Pool, schema: string): Promise<string[]> {
  const r = await pool.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  return r.rows.map((x) => x.table_name);
}

describe('migration list', () => {
  it('pins every migration’s text: a released migration is never edited (add a new one)', () => {
    // Changing a checksum here breaks every database migrated before: migrate() refuses it.
    expect(migrations.map((m) => [m.version, m.name, migrationChecksum(m)])).toEqual([
      [1, 'event store', '1f39ac6bedb822aa16b6731a455f16751b3e6f2410244f0391d9be760a8a80d0'],
      [2, 'outbox', 'c79d7747adf131a4732266b2dbf657bc8b32ecd277f28e379c98f4c651fe0602'],
      [3, 'consumers and sagas', 'a0d781885c989cd03b6f0816072e6d2f9040668f2816296bb9bb5127ce2f5478'],
      [4, 'outbox notify', '6ad840116c93adbdead1265863a7e29492e374e4475c1683609b667e4e1fd2e9'],
      [5, 'projections', '8f95097307cebb378da00441f1e7b798d7c9b4e7702f93c5fe4798fda3194aaf'],
      [6, 'outbox wake up', '7a98285281f8a19ea3b440559a0544056500d32057a3411c5b5996eeb538cab1'],
      [7, 'projection parking', 'bf2247178b69a35876540809e92b904117b220d30296f9ece805646ebba181f8'],
      [8, 'outbox published ahead', 'a77e5fd31d60efde33c7cd58dc62ac19e478d568db60d8449366216542d53172'],
    ]);
  });

  it('names the Debezium outbox router’s default columns', () => {
    const outbox = migrations.find((m) => m.name === 'outbox')?.sql ?? '';
    for (const column of ['id', 'aggregatetype', 'aggregateid', 'type', 'payload']) {
      expect(outbox).toMatch(new RegExp(`^  ${column} +\\w+`, 'm'));
    }
  });
});

describe('migrate', () => {
  it('applies every migration once, then nothing', async () => {
    const { pool, schema } = await db.isolated();
    expect(await migrate(pool)).toEqual({ applied: versions, skipped: [] });
    expect(await migrate(pool)).toEqual({ applied: [], skipped: versions });
    expect(await tables(pool, schema)).toEqual([
      'eventsmith_events',
      'eventsmith_migrations',
      'eventsmith_outbox',
      'eventsmith_outbox_cursors',
      'eventsmith_processed_events',
      'eventsmith_projection_parked',
      'eventsmith_projections',
      'eventsmith_saga_state',
      'eventsmith_snapshots',
      'eventsmith_streams',
    ]);
  });

  it('is safe under concurrency: 5 parallel calls apply each migration exactly once', async () => {
    const { pool } = await db.isolated({ max: 10 });
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate(pool)));
    const appliedCounts = versions.map((v) => results.filter((r) => r.applied.includes(v)).length);
    expect(appliedCounts).toEqual(versions.map(() => 1));
    for (const r of results) expect([...r.applied, ...r.skipped].sort()).toEqual(versions);
    const rows = await pool.query<{ version: number; checksum: string }>('SELECT version, checksum FROM eventsmith_migrations ORDER BY version');
    expect(rows.rows).toEqual(migrations.map((m) => ({ version: m.version, checksum: migrationChecksum(m) })));
  });

  it('refuses a database where a released migration was applied with other text', async () => {
    const { pool } = await db.isolated();
    await migrate(pool);
    await pool.query(`UPDATE eventsmith_migrations SET checksum = 'edited' WHERE version = 1`);
    await expect(migrate(pool)).rejects.toThrow(MigrationError);
    await expect(migrate(pool)).rejects.toThrow(/migration 1 \(event store\) was applied with checksum edited/);
  });

  it('emits .sql files that psql applies (twice), which migrate() then recognises', async () => {
    const { pool, schema } = await db.isolated();
    const files = migrationFiles();
    expect(files.map((f) => f.fileName)).toEqual(['0001_event_store.sql', '0002_outbox.sql', '0003_consumers_and_sagas.sql', '0004_outbox_notify.sql', '0005_projections.sql', '0006_outbox_wake_up.sql', '0007_projection_parking.sql', '0008_outbox_published_ahead.sql']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-sql-'));
    try {
      for (const f of files) writeFileSync(path.join(dir, f.fileName), f.content);
      const psql = path.join(findPostgresBinDir(), 'psql');
      for (let round = 0; round < 2; round++) {
        for (const f of files) {
          execFileSync(psql, [db.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', path.join(dir, f.fileName)], {
            env: { ...process.env, PGOPTIONS: `-c search_path=${schema} -c client_min_messages=warning` },
          });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await migrate(pool)).toEqual({ applied: [], skipped: versions });
    expect((await tables(pool, schema)).length).toBe(10);
  });
});
