// Typed entry point to the throwaway PostgreSQL cluster; the logic is in dev/postgres.mjs (which
// the package ships for `eventsmith dev`) so that it also runs as a plain-Node CLI
// (`node dev/postgres.mjs start|stop|status|run`).
export {
  findPostgresBinDir,
  startPostgres,
  stopPostgresFromState,
  type ClusterState,
  type PostgresCluster,
  type StartOptions,
} from '../../dev/postgres.mjs';
