/**
 * What the runtime's long-running parts (publisher, outbox relay, consumers, saga engine, timeout
 * poller, background snapshots) say about themselves: retries, dead letters, parked sagas,
 * failed relay steps.
 *
 * A logger is the shape pino, bunyan-style loggers and `console` share: one function per level
 * taking structured fields first and a message second. Every component takes an optional
 * `logger`; without one it writes concise lines to stderr (stderrLogger), so that a failure is
 * never silent. Fields follow pino's conventions (`err` holds an Error) and every line a
 * component writes carries `component` and the names that identify it (groupId, relay, saga).
 */

/** Structured context of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANK, value);
}

export interface StderrLoggerOptions {
  /** Lowest level written (default $EVENTSMITH_LOG_LEVEL, else info). */
  readonly level?: LogLevel;
  /** Where lines go (default process.stderr). */
  readonly write?: (line: string) => void;
}

/** A value as it reads in a `key=value` pair: bare when it has no spaces or quotes, else JSON. */
function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(errorMessage(value));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `Name: message (cause: …)`: an error in one line (logs, dead-letter headers, metrics). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error && err.cause.message !== err.message ? ` (cause: ${err.cause.message})` : '';
    return `${err.name}: ${err.message}${cause}`;
  }
  return String(err);
}

/**
 * The default logger: one line per entry on stderr,
 * `eventsmith warn consumer: handler failed, retrying in 210 ms groupId=totals topic=carts err="boom"`.
 */
export function stderrLogger(options: StderrLoggerOptions = {}): Logger {
  const fromEnv = (process.env.EVENTSMITH_LOG_LEVEL ?? '').toLowerCase();
  const level = options.level ?? (isLogLevel(fromEnv) ? fromEnv : 'info');
  const min = RANK[level];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (fields: LogFields, message: string): void => {
      if (RANK[name] < min) return;
      const { component, ...rest } = fields;
      const pairs = Object.entries(rest)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => ` ${k}=${formatValue(v)}`)
        .join('');
      write(`eventsmith ${name}${typeof component === 'string' ? ` ${component}` : ''}: ${message}${pairs}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Drops everything. */
export const silentLogger: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

/** A logger that adds `bound` to every entry (the entry's own fields win). */
export function withFields(logger: Logger, bound: LogFields): Logger {
  return {
    debug: (fields, message) => logger.debug({ ...bound, ...fields }, message),
    info: (fields, message) => logger.info({ ...bound, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...bound, ...fields }, message),
    error: (fields, message) => logger.error({ ...bound, ...fields }, message),
  };
}

/**
 * A component's logger: the caller's (or the stderr default) with the component's identity
 * bound. A logger that throws loses that line; it never stops the component.
 */
export function componentLogger(logger: Logger | undefined, component: string, identity: LogFields = {}): Logger {
  const target = withFields(logger ?? stderrLogger(), { component, ...identity });
  const safe =
    (name: keyof Logger) =>
    (fields: LogFields, message: string): void => {
      try {
        target[name](fields, message);
      } catch {
        // Logging must not change what the runtime does.
      }
    };
  return { debug: safe('debug'), info: safe('info'), warn: safe('warn'), error: safe('error') };
}
