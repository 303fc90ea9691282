// The emitted `<slug>/sql/*.sql` files are the runtime's migrations, byte for byte, and a team
// that applies them with its own tool (here: a pg client running each file in order, as psql
// would) ends up with a database `migrate()` leaves alone.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, migrationFiles, migrations } from '../../generator/runtime/index.js';
import { generateFiles, root } from '../emit/evolution-support.js';
import { useTestDatabase } from '../postgres/db.js';

const db = useTestDatabase();

async function emittedSql(): Promise<{ path: string; content: string }[]> {
  const spec = readFileSync(path.join(root, 'test/cases/orders/input.yaml'), 'utf8');
  return (await generateFiles('orders.yaml', spec)).filter((f) => f.path.endsWith('.sql')).map((f) => ({ path: f.path, content: f.content }));
}

describe('emitted SQL migrations', () => {
  it('equal migrationFiles(), the source migrate() applies (then one file per projection)', async () => {
    const all = await emittedSql();
    // Runtime migrations are 0001-0099 (0007_projection_parking among them); projections' tables 0101 on.
    const perProjection = (f: { path: string }) => /\/01\d\d_projection_/.test(f.path);
    const files = all.filter((f) => !perProjection(f));
    expect(all.filter(perProjection).map((f) => f.path)).toEqual(['orders/sql/0101_projection_order_summaries.sql']);
    expect(files).toEqual(migrationFiles().map((f) => ({ path: `orders/sql/${f.fileName}`, content: f.content })));
    expect(files.map((f) => f.path)).toEqual(migrations.map((m) => expect.stringMatching(new RegExp(`^orders/sql/${String(m.version).padStart(4, '0')}_[a-z0-9_]+\\.sql$`))));
    // The committed example carries the same files.
    for (const f of files) expect(readFileSync(path.join(root, 'generated-example/src/generated', f.path), 'utf8')).toBe(f.content);
  });

  it('applied file by file (twice), leave migrate() nothing to do', async () => {
    const { pool } = await db.isolated();
    const client = await pool.connect();
    try {
      for (let round = 0; round < 2; round++) {
        // Each file is one simple-protocol query with its own BEGIN/COMMIT, as psql -f runs it.
        for (const f of await emittedSql()) await client.query(f.content);
      }
    } finally {
      client.release();
    }
    const versions = migrations.map((m) => m.version);
    expect(await migrate(pool)).toEqual({ applied: [], skipped: versions });
    const recorded = await pool.query<{ version: number }>('SELECT version FROM eventsmith_migrations ORDER BY version');
    expect(recorded.rows.map((r) => r.version)).toEqual(versions);
    // And the store works on them.
    await pool.query(`INSERT INTO eventsmith_streams (stream_type, stream_id, version) VALUES ('Order', 'x', 1)`);
  });

  it('after migrate(), applying the files changes nothing', async () => {
    const { pool } = await db.isolated();
    await migrate(pool);
    const before = await pool.query('SELECT version, checksum, applied_at FROM eventsmith_migrations ORDER BY version');
    for (const f of await emittedSql()) await pool.query(f.content);
    const after = await pool.query('SELECT version, checksum, applied_at FROM eventsmith_migrations ORDER BY version');
    expect(after.rows).toEqual(before.rows);
  });
});
