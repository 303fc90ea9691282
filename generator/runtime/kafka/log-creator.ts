/**
 * KafkaJS's own log lines through an eventsmith Logger: `new Kafka({ logCreator: kafkaLogCreator(logger) })`.
 *
 * KafkaJS logs at ERROR what it is about to retry: a broker answering "the coordinator is
 * loading" while a group coordinator starts, a connection refused during a restart, a rebalance.
 * A retry absorbs these, and a failure that outlasts the retries reaches the caller, where the
 * runtime's components log it once (a failed send, a crashed consumer). So those lines go to
 * `debug`: the ones KafkaJS writes while retrying (they carry `retryCount`), every per-request
 * line of a connection (KafkaJS's callers decide whether to retry), and the group protocol's
 * re-joins. Everything else keeps its level; KafkaJS's info lines are `debug` here.
 */
import type { LogEntry, logLevel } from 'kafkajs';
import type { Logger } from '../logger.js';

// KafkaJS's logLevel values (a runtime enum of kafkajs, which this module only imports types from).
const ERROR = 1;
const WARN = 2;

/** A KafkaJS line a retry takes care of. */
function transient(entry: LogEntry): boolean {
  if (Object.hasOwn(entry.log, 'retryCount')) return true;
  if (entry.namespace === 'Connection' || entry.namespace === 'BrokerPool') return true;
  return entry.namespace === 'Runner' && /re-joining/.test(entry.log.message);
}

function levelOf(entry: LogEntry): keyof Logger {
  switch (entry.level as number) {
    case ERROR:
      return transient(entry) ? 'debug' : 'error';
    case WARN:
      return transient(entry) ? 'debug' : 'warn';
    default:
      return 'debug';
  }
}

/** A KafkaJS `logCreator` that writes to `logger` (fields: `component: 'kafkajs'`, `namespace`, and KafkaJS's own). */
export function kafkaLogCreator(logger: Logger): (level: logLevel) => (entry: LogEntry) => void {
  return () => (entry) => {
    const { message, timestamp: _timestamp, logger: _kafkajs, stack: _stack, ...fields } = entry.log;
    try {
      logger[levelOf(entry)]({ component: 'kafkajs', namespace: entry.namespace || undefined, ...fields }, String(message));
    } catch {
      // Logging must not change what KafkaJS does.
    }
  };
}
