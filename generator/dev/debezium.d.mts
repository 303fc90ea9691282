// Types for debezium.mjs (plain JavaScript so that it also runs as a CLI on Node 20).

/** The Debezium version fetched by default (override: EVENTSMITH_DEBEZIUM_VERSION). */
export const DEFAULT_DEBEZIUM_VERSION: string;

export interface FetchConnectOptions {
  readonly debeziumVersion?: string;
  /** Kafka Connect version; default $EVENTSMITH_KAFKA_VERSION or the broker's DEFAULT_KAFKA_VERSION. */
  readonly kafkaVersion?: string;
  /** Cache root; default $EVENTSMITH_CACHE_DIR or ${XDG_CACHE_HOME:-~/.cache}/eventsmith. */
  readonly cacheDir?: string;
  /** The mvn executable; default $EVENTSMITH_MVN or `mvn`. */
  readonly mvn?: string;
  /** The java executable; javac and jar are taken from its folder. */
  readonly java?: string;
  /** How long to wait for another process fetching the same jars (default 15 min). */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface ConnectJars {
  readonly dir: string;
  readonly libDir: string;
  /** The OutboxHeaders SMT, built from generator/dev/debezium/OutboxHeaders.java. */
  readonly smtJar: string;
  /** libs/* and the SMT jar, for `java -cp`. */
  readonly classpath: string;
  /** Wall time of this call (0 when the cache was complete). */
  readonly millis: number;
}

/** A connector as the Connect REST API takes it (what `generate` writes to <slug>/debezium/). */
export interface ConnectorConfig {
  readonly name: string;
  readonly config: Readonly<Record<string, string>>;
}

export interface StartConnectOptions extends FetchConnectOptions {
  readonly brokers: readonly string[];
  /** postgres://user:password@host:port/db; becomes PGHOST, PGPORT, ... of the worker's environment. */
  readonly databaseUrl: string;
  readonly connectors: readonly ConnectorConfig[];
  /** Settings added to (or replacing) every connector's, e.g. for a test's own slot name. */
  readonly connectorOverrides?: Readonly<Record<string, string>>;
  /** Extra worker settings. */
  readonly workerProperties?: Readonly<Record<string, string>>;
  /** Source offset commit interval (default 1000 ms). */
  readonly offsetFlushIntervalMs?: number;
  readonly jvmArgs?: readonly string[];
  /** Root logger level (default WARN; Debezium's own lines at INFO). */
  readonly logLevel?: string;
  readonly tmpDir?: string;
  readonly stopOnExit?: boolean;
  /** Deadline for every connector and task to be RUNNING after each (re)start (default 120 s). */
  readonly readyTimeoutMs?: number;
  /** How long halt()/stop() wait after SIGTERM before SIGKILL (default 15 s). */
  readonly stopTimeoutMs?: number;
}

export interface ConnectWorker {
  /** The worker's REST API. */
  readonly url: string;
  /** Temp folder with the worker's configuration, offsets file and log; deleted by stop(). */
  readonly baseDir: string;
  readonly logFile: string;
  /** PID of the running JVM (undefined while halted or killed). */
  readonly pid: number | undefined;
  readonly startMillis: number;
  readonly fetchMillis: number;
  /** SIGKILL: a crash. Offsets not yet committed are lost, so records since then go out again. */
  kill(): Promise<void>;
  /** SIGTERM: a clean stop that keeps the offsets file. */
  halt(): Promise<void>;
  /** Starts the worker again with the same configuration and offsets; resolves when RUNNING. */
  resume(): Promise<void>;
  /** Stops the worker and deletes its folder. Idempotent. */
  stop(): Promise<void>;
}

export function ensureConnectJars(options?: FetchConnectOptions): Promise<ConnectJars>;
export function startConnect(options: StartConnectOptions): Promise<ConnectWorker>;
