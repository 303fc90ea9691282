// Types for registry.mjs (plain JavaScript so that it also runs as a CLI on Node 20).

/** The Apicurio Registry version built by default (override: EVENTSMITH_REGISTRY_VERSION). */
export const DEFAULT_REGISTRY_VERSION: string;

export interface BuildRegistryOptions {
  readonly version?: string;
  /** Cache root; default $EVENTSMITH_CACHE_DIR or ${XDG_CACHE_HOME:-~/.cache}/eventsmith. */
  readonly cacheDir?: string;
  /** The mvn executable; default $EVENTSMITH_MVN or `mvn`. */
  readonly mvn?: string;
  /** The java executable (its folder's `jar` tool reads the app jar when unzip is missing). */
  readonly java?: string;
  /** How long to wait for another process building the same version (default 15 min). */
  readonly timeoutMs?: number;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface RegistryBuild {
  readonly version: string;
  /** <cache>/apicurio-registry-<version> */
  readonly dir: string;
  /** The runnable jar (its lib/ folder beside it). */
  readonly runnerJar: string;
  /** True when this call ran the Maven build. */
  readonly built: boolean;
  readonly millis: number;
}

export interface StartRegistryOptions {
  /** Start a registry even if SCHEMA_REGISTRY_URL is set. */
  readonly ignoreSchemaRegistryUrl?: boolean;
  readonly version?: string;
  /** The java executable; default $JAVA, $JAVA_HOME/bin/java, `java`. */
  readonly java?: string;
  readonly jvmArgs?: readonly string[];
  /** Fixed port (default: a free one). */
  readonly port?: number;
  /** Global compatibility rule (default BACKWARD, Confluent's default; Apicurio's own is NONE). */
  readonly compatibility?: string;
  readonly tmpDir?: string;
  /** Kill the JVM and delete its data when this process exits (default true). */
  readonly stopOnExit?: boolean;
  /** Deadline for /health/ready after each (re)start (default 90 s). */
  readonly readyTimeoutMs?: number;
  /** How long halt()/stop() wait after SIGTERM before SIGKILL (default 10 s). */
  readonly stopTimeoutMs?: number;
  /** Progress lines of the first-run build (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface SchemaRegistryServer {
  /** Base URL of the Confluent-compatible API (…/apis/ccompat/v7), or SCHEMA_REGISTRY_URL. */
  readonly url: string;
  /** True when SCHEMA_REGISTRY_URL was used and nothing was started; halt/resume then throw. */
  readonly external: boolean;
  readonly port: number | undefined;
  /** PID of the running JVM (undefined while halted). */
  readonly pid: number | undefined;
  /** Temp directory with the log and the H2 database; deleted by stop(). */
  readonly baseDir: string | undefined;
  readonly logFile: string | undefined;
  /** Wall time of startRegistry(): build check or build, JVM start, readiness. */
  readonly startMillis: number;
  /** Part of startMillis spent building (0 when cached). */
  readonly buildMillis: number;
  /** Stops the JVM and deletes its data. Idempotent. */
  stop(): Promise<void>;
  /** Stops the JVM but keeps its data and port: the registry is down until resume(). */
  halt(): Promise<void>;
  /** Starts the JVM again on the same port and data; resolves when ready. */
  resume(): Promise<void>;
}

/** ${EVENTSMITH_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/eventsmith} */
export function cacheRoot(): string;
/** Whether the registry's runnable jar is in the cache already (then no mvn is needed). */
export function registryBuilt(options?: BuildRegistryOptions): boolean;
/** Builds (once, with mvn) and returns the registry's runnable jar. */
export function ensureRegistryBuild(options?: BuildRegistryOptions): Promise<RegistryBuild>;
/** Starts Apicurio Registry on 127.0.0.1, or adopts SCHEMA_REGISTRY_URL. */
export function startRegistry(options?: StartRegistryOptions): Promise<SchemaRegistryServer>;
