// Database for PostgreSQL tests: inject('databaseUrl') when test/support/postgres-global.ts is a
// globalSetup, else DATABASE_URL, else a throwaway cluster started for this test file.
// Every `isolated()` call gets a fresh schema (first in search_path), so tests never see each
// other's tables, even on a shared DATABASE_URL server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import type {} from '../support/postgres-global.js';
import { type PostgresCluster, startPostgres } from '../support/postgres.js';

export interface Isolated {
  readonly schema: string;
  readonly pool: pg.Pool;
  /**
   * A dedicated connection for tests that interleave transactions. Closed after the test, so a
   * failing test cannot leave a transaction open that holds back the next tests.
   */
  connect(): Promise<pg.Client>;
}

export interface TestDatabase {
  readonly url: string;
  /** Wall time spent starting a cluster for this file (0 if one was given). */
  readonly startMillis: number;
  isolated(options?: { max?: number }): Promise<Isolated>;
}

export function useTestDatabase(): TestDatabase {
  let cluster: PostgresCluster | undefined;
  let url = '';
  let startMillis = 0;
  const pools: pg.Pool[] = [];
  const clients: pg.Client[] = [];
  const schemas: string[] = [];

  beforeAll(async () => {
    const provided = inject('databaseUrl');
    if (provided !== undefined && provided !== '') {
      url = provided;
      return;
    }
    const started = Date.now();
    cluster = await startPostgres();
    url = cluster.url;
    startMillis = cluster.external ? 0 : Date.now() - started;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    if (schemas.length > 0 && (cluster === undefined || cluster.external)) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(s)} CASCADE`);
      } finally {
        await admin.end();
      }
    }
    await cluster?.stop();
  });

  return {
    get url() {
      return url;
    },
    get startMillis() {
      return startMillis;
    },
    async isolated(options = {}) {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const config: pg.ClientConfig = { connectionString: url, options: `-c search_path=${schema}` };
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
      } finally {
        await admin.end();
      }
      schemas.push(schema);
      const pool = new pg.Pool({ ...config, max: options.max ?? 10 });
      pools.push(pool);
      return {
        schema,
        pool,
        async connect() {
          const client = new pg.Client(config);
          clients.push(client);
          await client.connect();
          return client;
        },
      };
    },
  };
}
