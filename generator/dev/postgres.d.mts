// Types for postgres.mjs (plain JavaScript so that it also runs as a CLI on Node 20).

export interface StartOptions {
  /** Start a cluster even if DATABASE_URL is set. */
  readonly ignoreDatabaseUrl?: boolean;
  /** Database to create (default `eventsmith`). */
  readonly database?: string;
  /** Keep fsync/synchronous_commit/full_page_writes on (benchmarks). Default false. */
  readonly durable?: boolean;
  /** wal_level=logical with replication slots (Debezium, other CDC). Default false. */
  readonly logical?: boolean;
  /** Extra `postgres -c` settings. */
  readonly settings?: Readonly<Record<string, string | number>>;
  /** Directory with initdb and pg_ctl; default $PG_BINDIR, /usr/lib/postgresql/15/bin, ... */
  readonly binDir?: string;
  /** Parent of the temp directory; default os.tmpdir(). Must be traversable by the postgres user. */
  readonly tmpDir?: string;
  /** Stop the cluster when this process exits (default true). */
  readonly stopOnExit?: boolean;
}

export interface PostgresCluster {
  /** postgres://user@127.0.0.1:port/db, or DATABASE_URL as given. */
  readonly url: string;
  /** True when DATABASE_URL was used and nothing was started. */
  readonly external: boolean;
  readonly port: number | undefined;
  /** Temp directory holding data, socket and log; deleted by stop(). */
  readonly baseDir: string | undefined;
  /** Wall time of initdb + start + CREATE DATABASE, when started here. */
  readonly startMillis?: number;
  /** pg_ctl stop -m immediate, then delete the temp directory. Idempotent. */
  stop(): Promise<void>;
}

export interface ClusterState {
  readonly url: string;
  readonly external: boolean;
  readonly baseDir?: string;
  readonly binDir?: string;
  readonly port?: number;
}

export function findPostgresBinDir(): string;
export function startPostgres(options?: StartOptions): Promise<PostgresCluster>;
export function stopPostgresFromState(state: ClusterState): void;
