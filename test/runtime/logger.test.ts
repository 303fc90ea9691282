// The runtime's logger: the default stderr lines, levels, bound fields, loggers that throw,
// console and pino as loggers, and KafkaJS's lines through kafkaLogCreator.
import { Writable } from 'node:stream';
import type { LogEntry } from 'kafkajs';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Logger, kafkaLogCreator, silentLogger, stderrLogger, withFields } from '../../generator/runtime/index.js';
import { componentLogger } from '../../generator/runtime/logger.js';
import { recordingLogger } from '../support/logging.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('stderrLogger', () => {
  it('writes one concise line per entry: level, component, message, then the fields', () => {
    const out: string[] = [];
    const log = stderrLogger({ write: (l) => void out.push(l) });
    log.warn({ component: 'consumer', groupId: 'cart totals', attempt: 2, err: new TypeError('boom'), skipped: undefined, big: 12n }, 'handler failed; retrying in 200 ms');
    expect(out).toEqual([
      'eventsmith warn consumer: handler failed; retrying in 200 ms groupId="cart totals" attempt=2 err="TypeError: boom" big=12\n',
    ]);
  });

  it('drops entries below its level: info by default, EVENTSMITH_LOG_LEVEL or the option otherwise', () => {
    const out: string[] = [];
    const write = (l: string) => void out.push(l);
    stderrLogger({ write }).debug({}, 'hidden');
    stderrLogger({ write }).info({}, 'shown');
    vi.stubEnv('EVENTSMITH_LOG_LEVEL', 'debug');
    stderrLogger({ write }).debug({}, 'debug on');
    vi.stubEnv('EVENTSMITH_LOG_LEVEL', 'silent');
    stderrLogger({ write }).error({}, 'silenced');
    stderrLogger({ write, level: 'error' }).error({}, 'option wins');
    vi.stubEnv('EVENTSMITH_LOG_LEVEL', 'nonsense');
    stderrLogger({ write }).debug({}, 'unknown level: info');
    expect(out.map((l) => l.trim())).toEqual(['eventsmith info: shown', 'eventsmith debug: debug on', 'eventsmith error: option wins']);
  });

  it('goes to process.stderr by default', () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    stderrLogger().error({ component: 'relay' }, 'step failed');
    expect(spy).toHaveBeenCalledWith('eventsmith error relay: step failed\n');
  });
});

describe('component loggers', () => {
  it('bind the component and its identity; the entry wins on a clash', () => {
    const rec = recordingLogger();
    withFields(rec, { groupId: 'g', topic: 'a' }).info({ topic: 'b' }, 'm');
    componentLogger(rec, 'relay', { relay: 'default' }).warn({ failedSteps: 1 }, 'step failed');
    expect(rec.lines).toEqual([
      { level: 'info', fields: { groupId: 'g', topic: 'b' }, message: 'm' },
      { level: 'warn', fields: { component: 'relay', relay: 'default', failedSteps: 1 }, message: 'step failed' },
    ]);
  });

  it('survive a logger that throws', () => {
    const throwing: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => { throw new Error('disk full'); } };
    expect(() => componentLogger(throwing, 'consumer').error({}, 'dead letter')).not.toThrow();
    expect(() => silentLogger.error({}, 'nothing')).not.toThrow();
  });

  it('console and pino are loggers as they are', () => {
    const consoleLogger: Logger = console;
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    componentLogger(consoleLogger, 'consumer').warn({ attempt: 1 }, 'handler failed');
    expect(spy).toHaveBeenCalledWith({ component: 'consumer', attempt: 1 }, 'handler failed');

    const chunks: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void (chunks.push(chunk.toString()), done()) });
    const pinoLogger: Logger = pino({ level: 'debug' }, sink);
    componentLogger(pinoLogger, 'consumer', { groupId: 'g' }).error({ err: new Error('boom') }, 'event sent to the dead-letter topic');
    const line = JSON.parse(chunks.join('')) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 50, component: 'consumer', groupId: 'g', msg: 'event sent to the dead-letter topic', err: { message: 'boom', type: 'Error' } });
  });
});

describe('kafkaLogCreator', () => {
  const entry = (namespace: string, level: number, message: string, extra: Record<string, unknown> = {}): LogEntry => ({
    namespace,
    level,
    label: '',
    log: { timestamp: '2024-01-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
  });

  it('keeps what needs a look, and puts what a retry absorbs at debug', () => {
    const rec = recordingLogger();
    const write = kafkaLogCreator(rec)(4);
    // The broker's group coordinator is still loading: KafkaJS logs the response at ERROR and retries.
    write(entry('Connection', 1, 'Response FindCoordinator(key: 10, version: 2)', { broker: '127.0.0.1:9092', clientId: 'c', error: "The coordinator is loading and hence can't process requests for this group", correlationId: 3, size: 40 }));
    write(entry('Connection', 1, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', clientId: 'c', stack: 'Error: …' }));
    write(entry('BrokerPool', 1, 'Failed to connect to seed broker, trying another broker from the list: Connection error', { retryCount: 0, retryTime: 300 }));
    write(entry('Producer', 1, 'Failed to send messages: This server is not the leader for that topic-partition', { retryCount: 1, retryTime: 400 }));
    write(entry('Runner', 2, 'The group is rebalancing, re-joining', { groupId: 'g', memberId: 'm', error: 'rebalance' }));
    write(entry('Consumer', 4, 'Starting', { groupId: 'g' }));
    // Not transient: these keep their level.
    write(entry('Consumer', 1, 'Caught error when stopping the consumer: x', { groupId: 'g' }));
    write(entry('ConsumerGroup', 2, 'Consumer group received unsubscribed topics', { groupId: 'g' }));
    expect(rec.lines.map((l) => [l.level, l.fields.namespace, l.message])).toEqual([
      ['debug', 'Connection', 'Response FindCoordinator(key: 10, version: 2)'],
      ['debug', 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'],
      ['debug', 'BrokerPool', 'Failed to connect to seed broker, trying another broker from the list: Connection error'],
      ['debug', 'Producer', 'Failed to send messages: This server is not the leader for that topic-partition'],
      ['debug', 'Runner', 'The group is rebalancing, re-joining'],
      ['debug', 'Consumer', 'Starting'],
      ['error', 'Consumer', 'Caught error when stopping the consumer: x'],
      ['warn', 'ConsumerGroup', 'Consumer group received unsubscribed topics'],
    ]);
    // KafkaJS's own fields come along; its timestamp, logger name and stack do not.
    expect(rec.lines[0]?.fields).toEqual({ component: 'kafkajs', namespace: 'Connection', broker: '127.0.0.1:9092', clientId: 'c', error: "The coordinator is loading and hence can't process requests for this group", correlationId: 3, size: 40 });
    expect(rec.lines[1]?.fields).not.toHaveProperty('stack');
  });
});
