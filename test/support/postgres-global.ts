// Vitest globalSetup: one PostgreSQL cluster for the whole run (or DATABASE_URL), handed to
// tests as inject('databaseUrl'). Optional: test/postgres/db.ts starts a cluster per file when
// this is not configured.
import type { GlobalSetupContext } from 'vitest/node';
import { startPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/support/postgres-global.ts when it is a globalSetup entry. */
    databaseUrl?: string;
  }
}

export default async function setup({ provide }: GlobalSetupContext): Promise<() => Promise<void>> {
  const cluster = await startPostgres();
  provide('databaseUrl', cluster.url);
  return () => cluster.stop();
}
