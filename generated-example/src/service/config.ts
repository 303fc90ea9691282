// The service's settings, from the environment (twelve-factor style).

export interface ServiceConfig {
  readonly databaseUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly host: string;
  /** 0: any free port (the service prints the one it got). */
  readonly port: number;
  /** Kafka client id; consumer group ids start with `groupPrefix`. */
  readonly clientId: string;
  readonly groupPrefix: string;
  /** Partitions of the domain's topics when the service creates them. */
  readonly partitions: number;
  /** Pool size: HTTP requests, the relay, and one transaction per consumer partition at work. */
  readonly poolSize: number;
  /**
   * KafkaJS's own log lines at and above this level, through the runtime's logger (default info:
   * lines a retry absorbs are debug there, so only what needs a look shows).
   */
  readonly kafkaLogLevel: 'nothing' | 'error' | 'warn' | 'info';
  /**
   * OpenTelemetry traces and metrics (default on). OTEL_SDK_DISABLED=true, the specification's
   * switch, turns them off: the runtime's calls then reach the API's no-op tracer and meter, no
   * AsyncLocalStorage context manager is registered, GET /metrics answers JSON and /traces 404.
   */
  readonly telemetry: boolean;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`order-service: ${name} is not set`);
  return v;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`order-service: ${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  const level = env.ORDER_SERVICE_KAFKA_LOG ?? 'info';
  if (level !== 'nothing' && level !== 'error' && level !== 'warn' && level !== 'info') {
    throw new Error(`order-service: ORDER_SERVICE_KAFKA_LOG must be nothing, error, warn or info, got ${JSON.stringify(level)}`);
  }
  return {
    databaseUrl: overrides.databaseUrl ?? required(env, 'DATABASE_URL'),
    kafkaBrokers: overrides.kafkaBrokers ?? required(env, 'KAFKA_BROKERS').split(',').map((b) => b.trim()).filter((b) => b !== ''),
    host: overrides.host ?? env.HOST ?? '127.0.0.1',
    port: overrides.port ?? integer(env, 'PORT', 8080),
    clientId: overrides.clientId ?? env.ORDER_SERVICE_CLIENT_ID ?? 'order-service',
    groupPrefix: overrides.groupPrefix ?? env.ORDER_SERVICE_GROUP_PREFIX ?? 'order-service',
    partitions: overrides.partitions ?? integer(env, 'ORDER_SERVICE_PARTITIONS', 4),
    poolSize: overrides.poolSize ?? integer(env, 'ORDER_SERVICE_POOL_SIZE', 20),
    kafkaLogLevel: overrides.kafkaLogLevel ?? level,
    // The specification: "true", case-insensitive, disables; any other value leaves the SDK on.
    telemetry: overrides.telemetry ?? (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() !== 'true',
  };
}
