// One trace through every process: the order is appended here (inside an HTTP server span, as
// the service would), the outbox relay, the command services and the saga orchestrator each run
// as a child process with the OpenTelemetry SDK and an in-memory exporter, on a real PostgreSQL
// and a real Kafka. Their spans are joined afterwards and checked against the messaging
// conventions: one trace id from the request to the last saga step, parents and links where the
// conventions put them, the dead letter's error; and every message still a CloudEvent the
// official SDK accepts, with a W3C traceparent.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Isolated, useTestDatabase } from '../postgres/db.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { readTopic } from '../kafka/helpers.js';
import { sdkRead } from '../kafka/support.js';
import { KafkaPublisher, ensureTopics, makeEnvelope } from '../../generator/runtime/index.js';
import { isValidTraceparent, isValidTracestate } from '../../generator/runtime/telemetry/trace-context.js';
import { type ShopTopics, SOURCE, T, commandTopicsOf, eventTopicsOf, placeOrder, shopRepositories, shopTopics } from '../saga/domain.js';
import { sagaSchema, settledCount } from '../saga/helpers.js';
import { kafkaClient } from '../saga/world.js';
import { type SpanRecord, type Telemetry, registerTelemetry } from './sdk.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;
let iso: Isolated;
let topics: ShopTopics;
let telemetry: Telemetry;
const dir = mkdtempSync(path.join(tmpdir(), 'eventsmith-telemetry-'));
const children: Array<{ role: string; stop: () => Promise<void>; kill: () => void; output: () => string }> = [];

/** Starts test/telemetry/fixtures/role.ts as ROLE; resolves once it is running. */
async function startRole(role: string, env: Record<string, string> = {}): Promise<void> {
  const root = path.join(import.meta.dirname, '..', '..');
  const proc = spawn(process.execPath, [path.join(root, 'node_modules', 'vite-node', 'vite-node.mjs'), path.join(import.meta.dirname, 'fixtures', 'role.ts')], {
    cwd: root,
    env: {
      ...process.env,
      ROLE: role,
      DATABASE_URL: db.url,
      SCHEMA: iso.schema,
      KAFKA_BROKERS: broker.brokers.join(','),
      TOPIC_PREFIX: topics.orders.replace(/\.orders$/, ''),
      GROUP: `${role}-${topics.orders}`,
      SPANS_FILE: path.join(dir, `${role}.jsonl`),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const seen = (line: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (out.includes(`${line}\n`)) resolve();
      };
      proc.stdout.on('data', check);
      void exited.then(() => (out.includes(`${line}\n`) ? resolve() : reject(new Error(`${role} exited before '${line}':\n${out}`))));
      check();
    });
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  children.push({
    role,
    stop: async () => {
      const stopped = seen('stopped');
      proc.kill('SIGTERM');
      await stopped;
      await exited;
    },
    kill: () => void proc.kill('SIGKILL'),
    output: () => out,
  });
  await seen('started');
}

async function createTopics(names: readonly string[]): Promise<void> {
  for (const topic of names) {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(kafka, [{ topic, numPartitions: 2 }]);
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }
}

/** Every message of `topic` (up to its high watermarks now). */
async function allMessages(topic: string): Promise<Awaited<ReturnType<typeof readTopic>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const count = offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
    return count === 0 ? [] : await readTopic(kafka, topic, count);
  } finally {
    await admin.disconnect();
  }
}

async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${children.map((c) => `--- ${c.role}\n${c.output()}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `work` inside a SERVER span, as an instrumented HTTP server would; returns the span's trace id. */
async function inRequest(name: string, work: () => Promise<void>): Promise<{ traceId: string; spanId: string }> {
  const span = trace.getTracer('http-server').startSpan(name, { kind: SpanKind.SERVER });
  try {
    await context.with(trace.setSpan(context.active(), span), work);
  } finally {
    span.end();
  }
  return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
}

const orders = { compensated: randomUUID(), timedOut: randomUUID(), completed: randomUUID() };
let roots: Record<keyof typeof orders, { traceId: string; spanId: string }>;
let poison: { traceId: string; spanId: string };
let spans: SpanRecord[] = [];

beforeAll(async () => {
  telemetry = registerTelemetry('api');
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers, 'telemetry-test');
  iso = await sagaSchema(db, 10);
  topics = shopTopics(`otel-${randomUUID().slice(0, 8)}`);
  const names = [...eventTopicsOf(topics), ...commandTopicsOf(topics)];
  await createTopics([...names, ...names.map((t) => `${t}.dlq`)]);
  await Promise.all([startRole('relay'), startRole('services'), startRole('orchestrator', { STEP_TIMEOUT_MS: '1500' })]);

  const repos = shopRepositories(iso.pool, topics);
  roots = {
    compensated: await inRequest('POST /orders', () => placeOrder(repos, orders.compensated, 'fail-payment')),
    timedOut: await inRequest('POST /orders', () => placeOrder(repos, orders.timedOut, 'silent-payment')),
    completed: await inRequest('POST /orders', () => placeOrder(repos, orders.completed, 'ok')),
  };
  // A command whose data no codec reads, sent straight to Kafka: the services dead-letter it.
  const publisher = new KafkaPublisher({ kafka });
  poison = await inRequest('POST /poison', async () => {
    const envelope = makeEnvelope({ type: T.reserveStock, dataversion: 1, source: SOURCE, subject: randomUUID(), data: {} });
    await publisher.publish(envelope, new Uint8Array([0xff, 0xff, 0xff]), { topic: topics.inventoryCommands });
  });
  await publisher.disconnect();

  await waitUntil('three settled sagas', async () => (await settledCount(iso.pool, Object.values(orders))) === 3);
  await waitUntil('the dead letter', async () => (await allMessages(`${topics.inventoryCommands}.dlq`)).length === 1);
  for (const child of children) await child.stop();
  spans = [...telemetry.spans()];
  for (const child of children) {
    const text = readFileSync(path.join(dir, `${child.role}.jsonl`), 'utf8');
    for (const line of text.split('\n')) if (line !== '') spans.push(JSON.parse(line) as SpanRecord);
  }
}, 600_000);

afterAll(async () => {
  for (const child of children) child.kill();
  await telemetry?.shutdown();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Spans about one order: keyed by it (messages, appends) or naming it as the saga. */
function aboutOrder(id: string): SpanRecord[] {
  return spans.filter((s) => s.attributes['messaging.kafka.message.key'] === id || s.attributes['eventsmith.saga.id'] === id);
}

const byId = (): Map<string, SpanRecord> => new Map(spans.map((s) => [s.spanId, s]));

/** Whether `span` links to `target`'s context. */
const links = (span: SpanRecord, target: SpanRecord | undefined): boolean => target !== undefined && span.links.some((l) => l.traceId === target.traceId && l.spanId === target.spanId);

describe('one order, one trace, across processes', () => {
  it('every span of an order carries the trace id of its HTTP request, in the service, the services and the orchestrator', () => {
    for (const [name, id] of Object.entries(orders) as Array<[keyof typeof orders, string]>) {
      const mine = aboutOrder(id);
      expect(mine.length, name).toBeGreaterThan(5);
      expect(new Set(mine.map((s) => s.traceId)), name).toEqual(new Set([roots[name].traceId]));
      expect(new Set(mine.map((s) => s.service)), name).toEqual(new Set(['api', 'services', 'orchestrator']));
    }
  });

  it('reaches the last saga step: the compensated order through the declined payment, the other through the step timeout', () => {
    const last = (id: string) => aboutOrder(id).filter((s) => s.name.startsWith('saga PlaceOrder') && s.attributes['eventsmith.saga.status'] === 'compensated');
    expect(last(orders.compensated)).toHaveLength(1);
    expect(last(orders.compensated)[0]?.traceId).toBe(roots.compensated.traceId);
    // The step timeout fired by the poller (no message) continues the trace the saga started in.
    const timeouts = aboutOrder(orders.timedOut).filter((s) => s.name === 'saga PlaceOrder timeout');
    // The step's command is resent first, then the step times out and compensation starts.
    expect(timeouts.map((s) => s.attributes['eventsmith.saga.transition'])).toContain('step-resent');
    expect(timeouts.map((s) => s.attributes['eventsmith.saga.transition'])).toContain('step-timed-out');
    for (const t of timeouts) expect(t.traceId).toBe(roots.timedOut.traceId);
    expect(last(orders.timedOut)[0]?.traceId).toBe(roots.timedOut.traceId);
    const done = aboutOrder(orders.completed).filter((s) => s.attributes['eventsmith.saga.status'] === 'completed');
    expect(done.length).toBeGreaterThan(0);
  });

  it('names, kinds and attributes follow the messaging conventions; the append is a child of the request', () => {
    const create = aboutOrder(orders.compensated).find((s) => s.service === 'api' && s.name === `create ${topics.orders}`);
    expect(create).toMatchObject({
      kind: 'producer',
      parentSpanId: roots.compensated.spanId,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'create',
        'messaging.destination.name': topics.orders,
        'messaging.kafka.message.key': orders.compensated,
        'cloudevents.event_type': T.orderPlaced,
      },
    });
    // The orchestrator's process span that accounts for the order's message: its creation
    // context is linked (the conventions' rule for process spans, batch or not).
    const process = spans.find((s) => s.service === 'orchestrator' && s.name === `process ${topics.orders}` && links(s, create));
    expect(process).toMatchObject({
      kind: 'consumer',
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topics.orders,
        'messaging.consumer.group.name': `orchestrator-${topics.orders}`,
      },
    });
    expect(typeof process?.attributes['messaging.destination.partition.id']).toBe('string');
    if (process?.attributes['messaging.batch.message_count'] === undefined) {
      // One message: its attributes, and the child of its creation context.
      expect(process?.parentSpanId).toBe(create?.spanId);
      expect(typeof process?.attributes['messaging.kafka.offset']).toBe('number');
      expect(process?.attributes['messaging.message.id']).toBe(create?.attributes['messaging.message.id']);
      expect(process?.attributes['cloudevents.event_type']).toBe(T.orderPlaced);
    } else {
      // A batch: no per-message attributes, no parent; a link to each message.
      expect(process.attributes['messaging.batch.message_count']).toBe(process.links.length);
      expect(process.attributes['messaging.message.id']).toBeUndefined();
      expect(process.parentSpanId).toBeUndefined();
    }
  });

  it('a process span links to the creation context of each message it processed (an append or a saga transition, in another process), and is its child when it processed one', () => {
    const index = byId();
    const processes = spans.filter((s) => s.kind === 'consumer' && s.traceId !== poison.traceId);
    expect(processes.length).toBeGreaterThan(10);
    const creator = (id: string | undefined): boolean => {
      const c = index.get(id ?? '');
      // Events were created by an append (create span); commands by a saga transition.
      return c !== undefined && (c.name.startsWith('create ') || c.name.startsWith('saga PlaceOrder'));
    };
    for (const p of processes) {
      expect(p.links.length, p.name).toBeGreaterThan(0);
      for (const l of p.links) expect(creator(l.spanId), `${p.name} → ${index.get(l.spanId)?.name}`).toBe(true);
      if (p.attributes['messaging.batch.message_count'] === undefined) {
        expect(p.parentSpanId, p.name).toBe(p.links[0]?.spanId);
      } else {
        expect(p.parentSpanId, p.name).toBeUndefined();
      }
    }
    // The handlers ran in their message's creation context: what the orchestrator did for the
    // compensated order (its saga spans) continues the order's trace, whatever the process span.
    const saga = aboutOrder(orders.compensated).filter((s) => s.service === 'orchestrator' && s.name.startsWith('saga PlaceOrder'));
    expect(saga.length).toBeGreaterThan(0);
    for (const s of saga) expect(s.traceId).toBe(roots.compensated.traceId);
  });

  it('the relay sends each batch in a span of its own, linked to the creation context of every message in it', () => {
    const sends = spans.filter((s) => s.service === 'relay');
    expect(sends.length).toBeGreaterThan(0);
    for (const s of sends) {
      expect(s.kind).toBe('client');
      expect(s.parentSpanId).toBeUndefined();
      expect(s.attributes['messaging.operation.type']).toBe('send');
      expect(s.links.length).toBeGreaterThan(0);
    }
    const linked = new Set(sends.flatMap((s) => s.links.map((l) => `${l.traceId}/${l.spanId}`)));
    const creators = spans.filter((s) => s.name.startsWith('create ') || (s.name.startsWith('saga PlaceOrder') && Number(s.attributes['eventsmith.saga.commands'] ?? 0) > 0));
    expect(creators.length).toBeGreaterThan(10);
    for (const c of creators) expect(linked.has(`${c.traceId}/${c.spanId}`), `${c.service} ${c.name}`).toBe(true);
  });

  it("a dead-lettered message's span records the error, in the trace the message was sent in", () => {
    const dead = spans.filter((s) => s.name === `send ${topics.inventoryCommands}.dlq`);
    expect(dead).toHaveLength(1);
    const sent = spans.find((s) => s.service === 'api' && s.name === `send ${topics.inventoryCommands}`);
    expect(sent).toMatchObject({ kind: 'producer', traceId: poison.traceId, parentSpanId: poison.spanId });
    expect(dead[0]).toMatchObject({ service: 'services', kind: 'producer', traceId: poison.traceId, parentSpanId: sent?.spanId, status: { code: 'error' } });
    expect(dead[0]?.events.find((e) => e.name === 'eventsmith.dead_lettered')?.attributes).toMatchObject({ 'eventsmith.dead_letter.reason': 'undecodable' });
  });
});

describe('the messages', () => {
  it('every message carries a W3C traceparent as ce_traceparent, and the official CloudEvents SDK accepts each one', async () => {
    let n = 0;
    for (const topic of [...eventTopicsOf(topics), ...commandTopicsOf(topics)]) {
      for (const m of await allMessages(topic)) {
        n++;
        const traceparent = m.headers?.ce_traceparent?.toString();
        expect(isValidTraceparent(traceparent), `${topic}@${m.offset}: ${traceparent}`).toBe(true);
        const tracestate = m.headers?.ce_tracestate?.toString();
        if (tracestate !== undefined) expect(isValidTracestate(tracestate)).toBe(true);
        const event = sdkRead(m);
        expect(event.traceparent).toBe(traceparent);
      }
    }
    expect(n).toBeGreaterThan(15);
  });
});
