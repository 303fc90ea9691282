// Typed entry point to the throwaway PostgreSQL cluster; the logic is in postgres.mjs so that
// it also runs as a plain-Node CLI (`node test/support/postgres.mjs start|stop|status|run`).
export {
  findPostgresBinDir,
  startPostgres,
  stopPostgresFromState,
  type ClusterState,
  type PostgresCluster,
  type StartOptions,
} from './postgres.mjs';
