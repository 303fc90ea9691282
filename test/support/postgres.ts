// Typed entry point to the throwaway PostgreSQL cluster; the logic is in generator/dev/postgres.mjs (which
// the package ships for `eventsmith dev`) so that it also runs as a plain-Node CLI
// (`node generator/dev/postgres.mjs start|stop|status|run`).
export {
  findPostgresBinDir,
  startPostgres,
  stopPostgresFromState,
  type ClusterState,
  type PostgresCluster,
  type StartOptions,
} from '../../generator/dev/postgres.mjs';
