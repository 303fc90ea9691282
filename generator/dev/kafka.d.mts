// Types for kafka.mjs (plain JavaScript so that it also runs as a CLI on Node 20).

/** Newest Kafka 3.9 patch this script was written against (override: EVENTSMITH_KAFKA_VERSION). */
export const DEFAULT_KAFKA_VERSION: string;

export interface FetchOptions {
  /** Kafka version; default $EVENTSMITH_KAFKA_VERSION or DEFAULT_KAFKA_VERSION. */
  readonly version?: string;
  /** Cache root; default $EVENTSMITH_CACHE_DIR or ${XDG_CACHE_HOME:-~/.cache}/eventsmith. */
  readonly cacheDir?: string;
  /** The mvn executable; default $EVENTSMITH_MVN or `mvn`. */
  readonly mvn?: string;
  /** How long to wait for another process that is fetching the same jars (default 15 min). */
  readonly timeoutMs?: number;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface KafkaJars {
  readonly version: string;
  /** <cache>/kafka-<version> */
  readonly dir: string;
  /** The folder holding every runtime jar of the broker. */
  readonly libDir: string;
  /** `<libDir>/*`, for `java -cp`. */
  readonly classpath: string;
  /** True when this call ran mvn. */
  readonly downloaded: boolean;
  /** Wall time of this call (0 when the cache was complete). */
  readonly millis: number;
}

export interface StartKafkaOptions {
  /** Start a broker even if KAFKA_BROKERS is set. */
  readonly ignoreKafkaBrokers?: boolean;
  readonly version?: string;
  /** The java executable; default $JAVA, $JAVA_HOME/bin/java, `java`. */
  readonly java?: string;
  /** Max heap of the broker JVM (default `512m`). */
  readonly heap?: string;
  /** Extra JVM flags, after ours (which include `-XX:TieredStopAtLevel=1`: a later flag of the same name wins). */
  readonly jvmArgs?: readonly string[];
  /** Extra or overriding server.properties entries. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  /** Default partitions of auto-created topics (default 3). */
  readonly numPartitions?: number;
  /** Fixed ports (default: random free ports; a lost race for them is retried). */
  readonly port?: number;
  readonly controllerPort?: number;
  /** Cluster id for `kafka-storage format` (default: random). */
  readonly clusterId?: string;
  /** Parent of the temp directory (default os.tmpdir()). */
  readonly tmpDir?: string;
  /** Keep the temp directory (data and logs) after stop() (default false). */
  readonly keepDirs?: boolean;
  /** Kill the broker and delete its data when this process exits (default true). */
  readonly stopOnExit?: boolean;
  /** Also wait until a group coordinator answers, so that the first consumer joins at once (default true). */
  readonly waitForCoordinator?: boolean;
  /** Deadline for the broker to answer after each (re)start (default 90 s). */
  readonly readyTimeoutMs?: number;
  /** How long stop()/halt() wait after SIGTERM before SIGKILL (default 20 s). */
  readonly stopTimeoutMs?: number;
  /** Use and create an AppCDS archive in the cache (default true; EVENTSMITH_KAFKA_CDS=0 turns it off). */
  readonly cds?: boolean;
  /** Progress lines of the first-run jar download (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface HaltOptions {
  /** SIGTERM (default: controlled shutdown) or SIGKILL (a crash). */
  readonly signal?: 'SIGTERM' | 'SIGKILL';
  /** SIGKILL after this long (default: stopTimeoutMs). */
  readonly timeoutMs?: number;
}

export interface KafkaBroker {
  /** Bootstrap servers: ['127.0.0.1:<port>'], or KAFKA_BROKERS split on commas. */
  readonly brokers: string[];
  /** True when KAFKA_BROKERS was used and nothing was started; halt/resume/restart then throw. */
  readonly external: boolean;
  readonly port: number | undefined;
  readonly controllerPort: number | undefined;
  /** Temp directory with server.properties, data, metadata and logs; deleted by stop(). */
  readonly baseDir: string | undefined;
  /** The broker's log4j log (inside baseDir). */
  readonly logFile: string | undefined;
  /** PID of the running JVM (undefined while halted). */
  readonly pid: number | undefined;
  readonly version: string | undefined;
  /** Wall time of startKafka(): jar check or download, format, JVM start, readiness. */
  readonly startMillis: number;
  /** Part of startMillis spent fetching jars (0 when cached). */
  readonly fetchMillis: number;
  /** SIGTERM (SIGKILL after a timeout), wait for exit, delete the temp directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the JVM but keeps its data and ports: the broker is down until resume(). */
  halt(options?: HaltOptions): Promise<void>;
  /** Starts the JVM again on the same ports and data; resolves when it accepts requests. */
  resume(): Promise<void>;
  /** halt() then resume(). */
  restart(options?: HaltOptions): Promise<void>;
}

/** ${EVENTSMITH_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/eventsmith} */
export function cacheRoot(): string;
/** A Kafka Uuid string: 16 random bytes, base64url without padding, never starting with '-'. */
export function randomClusterId(): string;
/** Whether the broker's jars are in the cache already (then no mvn is needed). */
export function kafkaJarsCached(options?: FetchOptions): boolean;
/** The java executable startKafka runs: options.java, $JAVA, $JAVA_HOME/bin/java, else `java`. */
export function resolveJava(options?: { readonly java?: string }): string;
/** Downloads (once, with mvn) and returns the folder of the broker's jars. */
export function ensureKafkaJars(options?: FetchOptions): Promise<KafkaJars>;
/** Starts a single-node KRaft broker on 127.0.0.1, or adopts KAFKA_BROKERS. */
export function startKafka(options?: StartKafkaOptions): Promise<KafkaBroker>;

export interface StartKafkaClusterOptions
  extends Pick<
    StartKafkaOptions,
    'ignoreKafkaBrokers' | 'version' | 'java' | 'heap' | 'jvmArgs' | 'properties' | 'numPartitions' | 'clusterId' | 'tmpDir' | 'keepDirs' | 'stopOnExit' | 'readyTimeoutMs' | 'stopTimeoutMs' | 'log'
  > {
  /** Combined broker+controller nodes, every one a quorum voter (default 3). */
  readonly nodes?: number;
}

/** One node of a cluster: a JVM of its own that can be crashed and restarted alone. */
export interface KafkaClusterNode {
  /** Its node.id (= broker id in metadata), 1..N. */
  readonly id: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly logFile: string;
  /** PID of the running JVM (undefined while halted). */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Stops the JVM (SIGKILL: a crash), keeping its data and ports. */
  halt(options?: HaltOptions): Promise<void>;
  /**
   * Starts it again; resolves once it serves as a registered broker. That needs a controller
   * quorum: nodes that come back together must be resumed together (Promise.all).
   */
  resume(): Promise<void>;
}

export interface KafkaCluster {
  /** Bootstrap servers of every node, or KAFKA_BROKERS split on commas. */
  readonly brokers: string[];
  /** True when KAFKA_BROKERS was used and nothing was started (then `nodes` is empty). */
  readonly external: boolean;
  readonly nodes: readonly KafkaClusterNode[];
  /** Temp directory with one folder per node; deleted by stop(). */
  readonly baseDir: string | undefined;
  readonly version: string | undefined;
  /** Default replication factor of new topics: min(3, nodes); min.insync.replicas is one less. */
  readonly replicationFactor: number | undefined;
  readonly startMillis: number;
  readonly fetchMillis: number;
  /** Stops every node and deletes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

/** Starts an N-node KRaft cluster on 127.0.0.1 (or adopts KAFKA_BROKERS). */
export function startKafkaCluster(options?: StartKafkaClusterOptions): Promise<KafkaCluster>;
