// The saga engine on a real PostgreSQL, delivery driven by the in-process pump (pump.ts) so that
// order, duplicates, clocks and interleavings are exact. The same paths over a real broker are
// in e2e.test.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type CloudEvent,
  type ParkedSaga,
  type SagaMessage,
  SagaDefinitionError,
  SagaEngine,
  SagaTimeoutPoller,
  countSagas,
  executeCommand,
  listParkedSagas,
  makeEnvelope,
  markProcessed,
  outboxRecordToMessage,
  readOutbox,
  OUTBOX_START,
  resumeParkedSaga,
  sagaHandlers,
  silentLogger,
  transactionScope,
} from '../../generator/runtime/index.js';
import { inTransaction } from '../../generator/runtime/postgres/db.js';
import { useTestDatabase } from '../postgres/db.js';
import { recordingLogger } from '../support/logging.js';
import { sdkRead } from '../kafka/support.js';
import {
  EXPECTED,
  type InventoryState,
  type PlaceOrderContext,
  type ReserveStock,
  type SagaTimings,
  type Scenario,
  SOURCE,
  T,
  codecs,
  commandHandlers,
  placeOrder,
  placeOrderSaga,
  shopDeciders,
  shopRepositories,
  shopTopics,
} from './domain.js';
import { type SagaSummary, commandsBySaga, sagaSchema, streamsOf, summarize } from './helpers.js';
import { type Chaos, Pump, seeded } from './pump.js';

const db = useTestDatabase();
const topics = shopTopics('shop');

interface Clock {
  t: number;
  readonly now: () => Date;
  advance(ms: number): void;
}

function clock(): Clock {
  const c = {
    t: Date.parse('2030-01-01T00:00:00Z'),
    now: () => new Date(c.t),
    advance: (ms: number) => void (c.t += ms),
  };
  return c;
}

/** A schema, repositories, an engine (with a movable clock) and a pump between them. */
async function world(options: { timings?: SagaTimings; chaos?: Chaos; healed?: Set<string>; onParked?: (p: ParkedSaga) => void; batch?: number } = {}) {
  const iso = await sagaSchema(db);
  const repos = shopRepositories(iso.pool, topics);
  const time = clock();
  const healed = options.healed ?? new Set<string>();
  const log = recordingLogger();
  const engine = new SagaEngine(placeOrderSaga(topics, options.timings), {
    now: time.now,
    logger: log,
    ...(options.onParked ? { onParked: options.onParked } : {}),
  });
  const services = commandHandlers(repos, { healed: (id) => healed.has(id) });
  const pump = new Pump(iso.pool, { orchestrator: sagaHandlers([engine]), services }, options.chaos, 'pump', options.batch);
  const poller = new SagaTimeoutPoller({ pool: iso.pool, engines: [engine], now: time.now, logger: log });
  return { iso, pool: iso.pool, repos, time, engine, pump, poller, services, healed, log };
}

const rows = (type: string, n = 1, ids = 1) => ({ type, rows: n, ids });

describe('happy path and failures', () => {
  it('completes a three-step saga: each command sent once, as a CloudEvent the official SDK reads, with correlation and causation', async () => {
    const w = await world();
    const id = randomUUID();
    await placeOrder(w.repos, id, 'ok');
    await w.pump.drain();

    const saga = await w.engine.get(w.pool, id);
    expect(saga).toMatchObject({ status: 'completed', step: null, timeoutAt: null, attempt: 0 });
    expect(saga?.context).toMatchObject({ paymentId: `pay-${id}`, shipmentId: `ship-${id}`, amount: 12_345_678_901_234_567n });
    expect(saga?.book.completed).toEqual(['reserveStock', 'capturePayment', 'arrangeShipment']);
    expect((await commandsBySaga(w.pool)).get(id)).toEqual([rows(T.reserveStock), rows(T.capturePayment), rows(T.arrangeShipment), rows(T.confirmOrder)]);
    expect(await streamsOf(w.pool, id)).toEqual({
      Inventory: [T.stockReserved],
      Order: [T.orderPlaced, T.orderConfirmed],
      Payment: [T.paymentCaptured],
      Shipping: [T.shipmentArranged],
    });

    // The wire form of every command, judged by the SDK; each caused by the event before it.
    const events = new Map(w.pump.log.map((e) => [e.type, e]));
    const causeOf: Record<string, string> = {
      [T.reserveStock]: T.orderPlaced,
      [T.capturePayment]: T.stockReserved,
      [T.arrangeShipment]: T.paymentCaptured,
      [T.confirmOrder]: T.shipmentArranged,
    };
    const { records } = await readOutbox(w.pool, OUTBOX_START, 100);
    const commandRecords = records.filter((r) => r.type.includes('.command.'));
    expect(commandRecords).toHaveLength(4);
    for (const record of commandRecords) {
      const message = outboxRecordToMessage(record);
      expect(message.key).toBe(id);
      expect(Object.keys(message.headers).sort()).toEqual(
        ['content-type', 'ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'ce_time', 'ce_subject', 'ce_dataschema', 'ce_dataversion', 'ce_partitionkey', 'ce_correlationid', 'ce_causationid'].sort(),
      );
      const read = sdkRead({ key: Buffer.from(id), value: message.value, headers: message.headers, timestamp: '0' });
      expect(read).toMatchObject({
        specversion: '1.0',
        id: record.id,
        type: record.type,
        source: SOURCE,
        subject: id,
        partitionkey: id,
        datacontenttype: 'application/avro',
        dataschema: `urn:eventsmith:schema:${record.type}:v1`,
        correlationid: id,
        causationid: events.get(causeOf[record.type] ?? '')?.id,
      });
      expect(String(read.dataversion)).toBe('1');
      expect(record.aggregateType).toBe({ inventory: 'Inventory', payment: 'Payment', shipping: 'Shipping', order: 'Order' }[record.type.split('.')[3] ?? '']);
    }
    const reserve = commandRecords.find((r) => r.type === T.reserveStock);
    expect(codecs[T.reserveStock].fromBinary(reserve?.payload ?? new Uint8Array())).toEqual({ sku: 'sku-1', quantity: 2, scenario: 'ok' });
    // The services' events carry the saga's correlation and name the command that caused them.
    const reserved = events.get(T.stockReserved);
    expect(reserved).toMatchObject({ correlationid: id, causationid: reserve?.id, subject: id });

    expect(w.engine.metrics()).toMatchObject({ started: 1, completed: 1, compensated: 0, parked: 0, stepsSucceeded: 3, commandsSent: 4, resends: 0 });
    expect(await countSagas(w.pool, 'PlaceOrder')).toEqual({ running: 0, compensating: 0, completed: 1, compensated: 0, parked: 0 });
  });

  it('a failure at step 2 compensates step 1 exactly once, then sends CancelOrder; at step 3, steps 2 and 1 in reverse order; at step 1, nothing', async () => {
    const w = await world();
    const ids = { 'fail-stock': randomUUID(), 'fail-payment': randomUUID(), 'fail-shipping': randomUUID() } as const;
    for (const [scenario, id] of Object.entries(ids)) await placeOrder(w.repos, id, scenario);
    await w.pump.drain();
    const sent = await commandsBySaga(w.pool);
    for (const [scenario, id] of Object.entries(ids) as Array<[Scenario, string]>) {
      expect((await w.engine.get(w.pool, id))?.status).toBe('compensated');
      expect(sent.get(id)?.map((c) => c.type)).toEqual(EXPECTED[scenario].commands);
      for (const c of sent.get(id) ?? []) expect(c).toMatchObject({ rows: 1, ids: 1 });
    }
    expect(await streamsOf(w.pool, ids['fail-payment'])).toEqual({
      Inventory: [T.stockReserved, T.stockReleased],
      Order: [T.orderPlaced, T.orderCancelled],
      Payment: [T.paymentDeclined],
    });
    expect(await streamsOf(w.pool, ids['fail-shipping'])).toEqual({
      Inventory: [T.stockReserved, T.stockReleased],
      Order: [T.orderPlaced, T.orderCancelled],
      Payment: [T.paymentCaptured, T.paymentRefunded],
      Shipping: [T.shipmentRefused],
    });
    const saga = await w.engine.get(w.pool, ids['fail-payment']);
    expect(saga?.book.failure).toMatchObject({ step: 'capturePayment', reason: 'failed', eventType: T.paymentDeclined });
    expect(saga?.context.failure).toBe('card declined');
    const cancel = w.pump.log.find((e) => e.type === T.cancelOrder && e.subject === ids['fail-payment']);
    expect(cancel?.data).toEqual({ reason: 'capturePayment failed: card declined' });
    expect(w.engine.metrics()).toMatchObject({ started: 3, completed: 0, compensated: 3, stepsFailed: 3 });
  });
});

describe('timeouts', () => {
  it('a silent step is resent with the same id, then compensated with the completed steps, in reverse; also across a restart of engine and poller', async () => {
    const w = await world({ timings: { stepTimeoutMs: 1000, maxAttempts: 3 } });
    const ids = { 'silent-stock': randomUUID(), 'silent-payment': randomUUID(), 'silent-shipping': randomUUID() } as const;
    for (const [scenario, id] of Object.entries(ids)) await placeOrder(w.repos, id, scenario);
    await w.pump.drain();
    expect((await w.engine.get(w.pool, ids['silent-payment']))).toMatchObject({ status: 'running', step: 'capturePayment', attempt: 1 });

    w.time.advance(999);
    expect(await w.poller.runOnce()).toBe(0);
    w.time.advance(1);
    expect(await w.poller.runOnce()).toBe(3); // second sends
    await w.pump.drain();

    // Restart: new engine and poller objects; the deadlines are in the database.
    const engine = new SagaEngine(placeOrderSaga(topics, { stepTimeoutMs: 1000, maxAttempts: 3 }), { now: w.time.now });
    const poller = new SagaTimeoutPoller({ pool: w.pool, engines: [engine], now: w.time.now });
    w.time.advance(1000);
    expect(await poller.runOnce()).toBe(3); // third sends
    await w.pump.drain();
    expect((await engine.get(w.pool, ids['silent-shipping']))).toMatchObject({ status: 'running', step: 'arrangeShipment', attempt: 3 });
    w.time.advance(1000);
    expect(await poller.runOnce()).toBe(3); // given up: compensation
    // The pump's orchestrator is the old engine object: the state is all in the database.
    await w.pump.drain();

    const sent = await commandsBySaga(w.pool);
    for (const [scenario, id] of Object.entries(ids) as Array<[Scenario, string]>) {
      const saga = await engine.get(w.pool, id);
      expect(saga?.status).toBe('compensated');
      expect(saga?.book.failure).toMatchObject({ reason: 'timed-out' });
      const commands = sent.get(id) ?? [];
      expect(commands.map((c) => c.type)).toEqual(EXPECTED[scenario].commands);
      // The silent step's command: three rows of one message; every other command once.
      const silent = { 'silent-stock': T.reserveStock, 'silent-payment': T.capturePayment, 'silent-shipping': T.arrangeShipment }[scenario as 'silent-stock'];
      for (const c of commands) expect(c).toEqual(c.type === silent ? rows(silent, 3, 1) : rows(c.type));
    }
    // The receiver ran each resent command once (its processed mark); the compensation of the
    // silent step found nothing to undo.
    expect(await streamsOf(w.pool, ids['silent-stock'])).toEqual({ Inventory: [T.stockReleased], Order: [T.orderPlaced, T.orderCancelled] });
    expect(await streamsOf(w.pool, ids['silent-shipping'])).toEqual({
      Inventory: [T.stockReserved, T.stockReleased],
      Order: [T.orderPlaced, T.orderCancelled],
      Payment: [T.paymentCaptured, T.paymentRefunded],
      Shipping: [T.shipmentCancelled],
    });
    const released = w.pump.log.find((e) => e.type === T.stockReleased && e.subject === ids['silent-stock']);
    expect(released?.data).toEqual({ quantity: 0 });
    // Second sends by the first poller's engine, third sends and timeouts by the new one.
    expect(w.engine.metrics()).toMatchObject({ resends: 3, stepsTimedOut: 0, compensated: 3 });
    expect(engine.metrics()).toMatchObject({ resends: 3, stepsTimedOut: 3 });
  });

  it('the whole saga’s deadline compensates the step in flight without waiting for resends', async () => {
    const w = await world({ timings: { sagaTimeoutMs: 5000, maxAttempts: 5 } });
    const id = randomUUID();
    await placeOrder(w.repos, id, 'silent-payment');
    await w.pump.drain();
    const running = await w.engine.get(w.pool, id);
    expect(running?.timeoutAt?.getTime()).toBe(w.time.t + 5000);
    w.time.advance(5000);
    expect(await w.poller.runOnce()).toBe(1);
    await w.pump.drain();
    const saga = await w.engine.get(w.pool, id);
    expect(saga).toMatchObject({ status: 'compensated' });
    expect(saga?.book.failure).toMatchObject({ step: 'capturePayment', reason: 'saga-timed-out' });
    expect((await commandsBySaga(w.pool)).get(id)).toEqual([rows(T.reserveStock), rows(T.capturePayment), rows(T.refundPayment), rows(T.releaseStock), rows(T.cancelOrder)]);
  });
});

describe('parking', () => {
  it('a compensation that keeps failing is retried after a backoff under new ids, then parked (query and hook); resume compensates once the cause is fixed, or skips it', async () => {
    const parked: ParkedSaga[] = [];
    const w = await world({ timings: { maxAttempts: 3, backoffMs: 1000 }, onParked: (p) => void parked.push(p) });
    const [a, b] = [randomUUID(), randomUUID()];
    await placeOrder(w.repos, a, 'fail-payment+release-fails');
    await placeOrder(w.repos, b, 'fail-payment+release-fails');
    await w.pump.drain();
    expect(await w.engine.get(w.pool, a)).toMatchObject({ status: 'compensating', step: 'reserveStock', attempt: 1 });
    expect((await w.engine.get(w.pool, a))?.timeoutAt?.getTime()).toBe(w.time.t + 1000);

    w.time.advance(1000);
    expect(await w.poller.runOnce()).toBe(2);
    await w.pump.drain();
    expect((await w.engine.get(w.pool, a))?.timeoutAt?.getTime()).toBe(w.time.t + 2000); // doubled
    w.time.advance(2000);
    expect(await w.poller.runOnce()).toBe(2);
    await w.pump.drain();

    for (const id of [a, b]) expect(await w.engine.get(w.pool, id)).toMatchObject({ status: 'parked', step: 'reserveStock', attempt: 3, timeoutAt: null });
    expect(parked.map((p) => p.sagaId).sort()).toEqual([a, b].sort());
    const listed = await listParkedSagas(w.pool, { sagaType: 'PlaceOrder' });
    expect(listed.map((p) => p.sagaId).sort()).toEqual([a, b].sort());
    expect(listed[0]).toMatchObject({ step: 'reserveStock', attempts: 3, reason: 'compensation-failed', failure: { step: 'capturePayment', reason: 'failed' } });
    expect((await commandsBySaga(w.pool)).get(a)).toEqual([rows(T.reserveStock), rows(T.capturePayment), rows(T.releaseStock, 3, 3)]);
    expect(await countSagas(w.pool)).toMatchObject({ parked: 2 });

    // Fixed for a: resumed, compensated. b: a person released the stock by hand; skip it.
    w.healed.add(a);
    expect(await resumeParkedSaga(w.pool, w.engine, a)).toMatchObject({ what: 'resumed', to: { status: 'compensating' } });
    expect(await w.engine.resume(w.pool, b, { skipCompensation: true })).toMatchObject({ what: 'compensation-skipped', to: { status: 'compensated' } });
    expect(await w.engine.resume(w.pool, b)).toBeUndefined(); // not parked any more
    await w.pump.drain();
    expect(await w.engine.get(w.pool, a)).toMatchObject({ status: 'compensated' });
    expect((await commandsBySaga(w.pool)).get(a)).toEqual([rows(T.reserveStock), rows(T.capturePayment), rows(T.releaseStock, 4, 4), rows(T.cancelOrder)]);
    expect((await commandsBySaga(w.pool)).get(b)).toEqual([rows(T.reserveStock), rows(T.capturePayment), rows(T.releaseStock, 3, 3), rows(T.cancelOrder)]);
    expect((await streamsOf(w.pool, a)).Inventory).toEqual([T.stockReserved, T.stockReleaseFailed, T.stockReleaseFailed, T.stockReleaseFailed, T.stockReleased]);
    expect(await listParkedSagas(w.pool)).toEqual([]);
    expect(w.engine.metrics()).toMatchObject({ parked: 2, resumed: 2, compensated: 2, compensationsFailed: 6 });
    // The log: the failed step (info), each failed compensation (warn), the parking (error), the end.
    const of = (id: string) => w.log.lines.filter((l) => l.fields.sagaId === id && l.level !== 'debug').map((l) => `${l.level} ${l.message}`);
    expect(of(a)).toEqual([
      'info step capturePayment failed; compensating',
      'warn compensation of reserveStock failed; retrying it',
      'warn compensation of reserveStock failed; retrying it',
      'error saga parked (compensation-failed); resumeParkedSaga retries it',
      'info saga compensated',
    ]);
    expect(w.log.lines.find((l) => l.level === 'error' && l.fields.sagaId === b)?.fields).toMatchObject({ component: 'saga', saga: 'PlaceOrder', step: 'reserveStock', to: 'parked' });
  });

  it('a deadline whose transition fails is postponed, and the poller logs it', async () => {
    const w = await world({ timings: { stepTimeoutMs: 1000, maxAttempts: 2 } });
    const id = randomUUID();
    await placeOrder(w.repos, id, 'fail-shipping+silent-refund');
    await w.pump.drain();
    w.time.advance(1000);
    const failing = new SagaEngine(placeOrderSaga(topics, { stepTimeoutMs: 1000, maxAttempts: 2 }), {
      now: w.time.now,
      logger: silentLogger,
      onTransition: (t) => {
        if (t.trigger === 'timeout') throw new Error('notifier down');
      },
    });
    const log = recordingLogger();
    const poller = new SagaTimeoutPoller({ pool: w.pool, engines: [failing], now: w.time.now, retryDelayMs: 5000, logger: log });
    expect(await poller.runOnce()).toBe(0);
    expect(poller.metrics()).toMatchObject({ failed: 1 });
    expect((await w.engine.get(w.pool, id))?.timeoutAt?.getTime()).toBe(w.time.t + 5000);
    expect(log.lines).toEqual([
      {
        level: 'error',
        fields: { component: 'saga-poller', saga: 'PlaceOrder', sagaId: id, err: new Error('notifier down') },
        message: "acting on the saga's deadline failed; trying again in 5000 ms",
      },
    ]);
  });

  it('an unanswered compensation is resent, then parked; its late answer still completes the compensation', async () => {
    const w = await world({ timings: { stepTimeoutMs: 1000, maxAttempts: 2 } });
    const id = randomUUID();
    await placeOrder(w.repos, id, 'fail-shipping+silent-refund');
    await w.pump.drain();
    expect(await w.engine.get(w.pool, id)).toMatchObject({ status: 'compensating', step: 'capturePayment' });
    w.time.advance(1000);
    expect(await w.poller.runOnce()).toBe(1); // resent
    w.time.advance(1000);
    expect(await w.poller.runOnce()).toBe(1); // parked
    await w.pump.drain();
    const saga = await w.engine.get(w.pool, id);
    expect(saga).toMatchObject({ status: 'parked', step: 'capturePayment' });
    expect((await listParkedSagas(w.pool))[0]).toMatchObject({ sagaId: id, reason: 'compensation-timed-out' });
    // The payment service answers at last, as itself: caused by the refund command, in the saga's correlation.
    const refund = saga?.book.pending?.commandId ?? '';
    await w.repos.payment.append(id, [{ type: T.paymentRefunded, data: { amount: 12_345_678_901_234_567n } }], 1, { correlationId: id, causationId: refund });
    await w.pump.drain();
    expect(await w.engine.get(w.pool, id)).toMatchObject({ status: 'compensated' });
    expect((await commandsBySaga(w.pool)).get(id)).toEqual([
      rows(T.reserveStock),
      rows(T.capturePayment),
      rows(T.arrangeShipment),
      rows(T.refundPayment, 2, 1),
      rows(T.releaseStock),
      rows(T.cancelOrder),
    ]);
  });
});

describe('duplicates, late and reordered events', () => {
  it('random delivery orders with duplicates (also ones the processed mark would hide) end like the clean run', async () => {
    const scenarios: readonly string[] = ['ok', 'fail-stock', 'fail-payment', 'fail-shipping', 'fail-payment+release-fails'];
    const summaries = async (chaos: Chaos | undefined, copies: number, batch = 1): Promise<Map<string, SagaSummary[]>> => {
      const healed = new Set<string>();
      const w = await world({ ...(chaos ? { chaos } : {}), healed, timings: { maxAttempts: 5, backoffMs: 1000 }, batch });
      const ids = scenarios.flatMap((s) => Array.from({ length: copies }, () => ({ s, id: randomUUID() })));
      for (const { s, id } of ids) await placeOrder(w.repos, id, s);
      // The release-fails sagas fail twice, then the warehouse is fixed.
      for (let round = 0; round < 3; round++) {
        await w.pump.drain();
        if (round === 1) for (const { id } of ids) healed.add(id);
        w.time.advance(10_000);
        await w.poller.runOnce();
      }
      await w.pump.drain();
      const out = new Map<string, SagaSummary[]>();
      for (const { s, id } of ids) out.set(s, [...(out.get(s) ?? []), await summarize(w.pool, w.engine, id)]);
      return out;
    };
    const clean = await summaries(undefined, 1);
    for (const s of scenarios) expect(clean.get(s)?.[0]?.status).toMatch(/^(completed|compensated)$/);
    for (const seed of [1, 2, 3, 4]) {
      const chaotic = await summaries({ random: seeded(seed), duplicate: 0.5, engineSeesDuplicates: seed % 2 === 0 }, 3);
      for (const s of scenarios) {
        for (const summary of chaotic.get(s) ?? []) expect(summary, `seed ${seed}, ${s}`).toEqual(clean.get(s)?.[0]);
      }
    }
    // Several messages per transaction (the consumer runner's batched path): in order, then in
    // random orders with duplicates, which put two messages of one saga in one transaction.
    const batched = await summaries(undefined, 3, 8);
    for (const s of scenarios) for (const summary of batched.get(s) ?? []) expect(summary, `batched, ${s}`).toEqual(clean.get(s)?.[0]);
    for (const seed of [5, 6]) {
      const chaotic = await summaries({ random: seeded(seed), duplicate: 0.5, engineSeesDuplicates: seed % 2 === 0 }, 3, 8);
      for (const s of scenarios) {
        for (const summary of chaotic.get(s) ?? []) expect(summary, `batched, seed ${seed}, ${s}`).toEqual(clean.get(s)?.[0]);
      }
    }
  }, 120_000);

  it('acknowledges and ignores, with the reason: finished sagas, unknown and uncorrelated events, repeated starts, answers to earlier commands', async () => {
    const w = await world();
    const [done, busy] = [randomUUID(), randomUUID()];
    await placeOrder(w.repos, done, 'ok');
    await placeOrder(w.repos, busy, 'silent-payment');
    await w.pump.drain();
    const byType = (type: string, subject: string): CloudEvent<string, unknown> => {
      const e = w.pump.log.find((x) => x.type === type && x.subject === subject);
      if (!e) throw new Error(`no ${type} of ${subject}`);
      return e;
    };
    const message = (e: CloudEvent<string, unknown>, patch: Partial<SagaMessage> = {}): SagaMessage => ({
      id: e.id,
      type: e.type,
      data: e.data,
      aggregateId: e.subject,
      ...(e.correlationid ? { correlationId: e.correlationid } : {}),
      ...(e.causationid ? { causationId: e.causationid } : {}),
      ...patch,
    });
    const before = await w.engine.get(w.pool, busy);
    const h = (m: SagaMessage) => w.engine.handle(w.pool, m);
    expect(await h(message(byType(T.stockReserved, done)))).toEqual({ outcome: 'ignored', reason: 'finished', sagaId: done });
    expect(await h(message(byType(T.orderPlaced, done)))).toEqual({ outcome: 'ignored', reason: 'duplicate-start', sagaId: done });
    expect(await h(message(byType(T.orderConfirmed, done)))).toEqual({ outcome: 'ignored', reason: 'not-a-saga-event' });
    expect(await h(message(byType(T.stockReserved, busy), { id: randomUUID() }))).toEqual({ outcome: 'ignored', reason: 'late', sagaId: busy });
    const { causationId: _c, ...uncaused } = message(byType(T.stockReserved, busy), { id: randomUUID() });
    expect(await h(uncaused)).toEqual({ outcome: 'ignored', reason: 'unexpected', sagaId: busy });
    expect(await h(message(byType(T.stockReserved, busy), { correlationId: randomUUID() }))).toMatchObject({ reason: 'unknown-saga' });
    const { correlationId: _k, ...uncorrelated } = message(byType(T.stockReserved, busy));
    expect(await h(uncorrelated)).toEqual({ outcome: 'ignored', reason: 'uncorrelated' });
    expect((await w.engine.get(w.pool, busy))?.version).toBe(before?.version);
    expect(w.engine.metrics().ignoredByReason).toEqual({ finished: 1, 'duplicate-start': 1, 'not-a-saga-event': 1, late: 1, unexpected: 1, 'unknown-saga': 1, uncorrelated: 1 });
  });
});

describe('crashes and concurrency', () => {
  it('a transition that dies before its commit (between any two steps) leaves nothing behind; a new engine carries on, each command once', async () => {
    const w = await world();
    // Kill points: the start, after each step's answer (3), and in compensation (fail-shipping: 2 more).
    const runs = [1, 2, 3, 4].map((k) => ({ k, scenario: 'ok', id: randomUUID() })).concat([5, 6].map((k) => ({ k, scenario: 'fail-shipping', id: randomUUID() })));
    for (const run of runs) {
      let seen = 0;
      const doomed = new SagaEngine(placeOrderSaga(topics), {
        onTransition: () => {
          if (++seen === run.k) throw new Error('killed mid-transaction');
        },
      });
      w.pump.handlers = { orchestrator: sagaHandlers([doomed]), services: w.services };
      await placeOrder(w.repos, run.id, run.scenario);
      await expect(w.pump.drain()).rejects.toThrow('killed mid-transaction');
      // Transitions 1..k-1 committed, one command each; the k-th left nothing.
      expect((await commandsBySaga(w.pool, [run.id])).get(run.id)?.length ?? 0).toBe(run.k - 1);
      // A new engine; the failed delivery was not acknowledged and comes again.
      w.pump.handlers = { orchestrator: sagaHandlers([new SagaEngine(placeOrderSaga(topics))]), services: w.services };
      await w.pump.drain();
    }
    for (const run of runs) {
      const expected = EXPECTED[run.scenario as Scenario];
      expect((await w.engine.get(w.pool, run.id))?.status, `kill point ${run.k}`).toBe(expected.status);
      expect((await commandsBySaga(w.pool, [run.id])).get(run.id)).toEqual(expected.commands.map((t) => rows(t)));
      expect(await streamsOf(w.pool, run.id)).toEqual(expected.streams);
    }
  });

  it('two answers racing on one saga: the second transaction finds the row moved, decides again on the new state, and sends nothing twice', async () => {
    const w = await world({ timings: { stepTimeoutMs: 1000 } });
    const id = randomUUID();
    await placeOrder(w.repos, id, 'silent-stock');
    await w.pump.drain();
    const saga = await w.engine.get(w.pool, id);
    const command = saga?.book.pending?.commandId ?? '';
    const answer = (type: string): SagaMessage => ({ id: randomUUID(), type, data: {}, aggregateId: id, correlationId: id, causationId: command });
    const [a, b] = [await w.iso.connect(), await w.iso.connect()];
    await a.query('BEGIN');
    expect(await w.engine.handle(a, { ...answer(T.stockReserved), data: { quantity: 2 } })).toMatchObject({ outcome: 'advanced' });
    await b.query('BEGIN');
    const racing = w.engine.handle(b, { ...answer(T.stockReservationFailed), data: { reason: 'x' } });
    // The deadline passed meanwhile: the poller skips the row a consumer holds.
    w.time.advance(5000);
    expect(await w.poller.runOnce()).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    await a.query('COMMIT');
    expect(await racing).toEqual({ outcome: 'ignored', reason: 'late', sagaId: id });
    await b.query('COMMIT');
    expect(w.engine.metrics().conflicts).toBe(1);
    expect(await w.engine.get(w.pool, id)).toMatchObject({ status: 'running', step: 'capturePayment', version: (saga?.version ?? 0) + 1 });
    expect((await commandsBySaga(w.pool)).get(id)).toEqual([rows(T.reserveStock), rows(T.capturePayment)]);
  });

  it('batched over a transaction: one read and one write for all its sagas; a saga moved meanwhile is read and decided again, the others written once', async () => {
    const w = await world({ timings: { stepTimeoutMs: 1000 } });
    const [raced, other, fresh] = [randomUUID(), randomUUID(), randomUUID()];
    await placeOrder(w.repos, raced, 'silent-stock');
    await placeOrder(w.repos, other, 'silent-stock');
    await w.pump.drain();
    const pending = async (id: string) => (await w.engine.get(w.pool, id))?.book.pending?.commandId ?? '';
    const answer = async (id: string, type: string, data: unknown): Promise<SagaMessage> => ({ id: randomUUID(), type, data, aggregateId: id, correlationId: id, causationId: await pending(id) });
    const before = await w.engine.get(w.pool, raced);
    const [a, b] = [await w.iso.connect(), await w.iso.connect()];
    await a.query('BEGIN');
    expect(await w.engine.handle(a, await answer(raced, T.stockReserved, { quantity: 2 }))).toMatchObject({ outcome: 'advanced' });
    // b: a failure answer to the raced saga, a success to the other, and a start: deferred to b's commit.
    await b.query('BEGIN');
    const statements: string[] = [];
    const counted = { query: (sql: string, params?: unknown[]) => (statements.push(sql), b.query(sql, params)) } as unknown as typeof b;
    const scope = transactionScope();
    const context = { tx: counted, groupId: 'g', topic: 't', partition: 0, offset: '0', attempt: 1, writerVersion: 1, transaction: scope };
    await w.engine.accept(await answer(raced, T.stockReservationFailed, { reason: 'x' }), context);
    await w.engine.accept(await answer(other, T.stockReserved, { quantity: 2 }), context);
    const placed = w.pump.log.find((e) => e.type === T.orderPlaced && e.subject === raced);
    await w.engine.accept({ ...(await answer(fresh, T.orderPlaced, placed?.data)), correlationId: fresh, aggregateId: fresh }, context);
    expect(statements).toEqual([]);
    const racing = scope.commit();
    await new Promise((r) => setTimeout(r, 100));
    await a.query('COMMIT');
    await racing;
    await b.query('COMMIT');
    // Read, write (waits for a, finds the raced row moved), read the raced saga again, nothing left to write.
    expect(statements.map((q) => q.trim().split(/\s+/)[0])).toEqual(['SELECT', 'WITH', 'SELECT']);
    expect(w.engine.metrics().conflicts).toBe(1);
    expect(await w.engine.get(w.pool, raced)).toMatchObject({ status: 'running', step: 'capturePayment', version: (before?.version ?? 0) + 1 });
    expect(await w.engine.get(w.pool, other)).toMatchObject({ status: 'running', step: 'capturePayment' });
    expect(await w.engine.get(w.pool, fresh)).toMatchObject({ status: 'running', step: 'reserveStock', version: 1 });
    const sent = await commandsBySaga(w.pool);
    expect(sent.get(raced)).toEqual([rows(T.reserveStock), rows(T.capturePayment)]);
    expect(sent.get(other)).toEqual([rows(T.reserveStock), rows(T.capturePayment)]);
    expect(sent.get(fresh)).toEqual([rows(T.reserveStock)]);
  });

  it('commandHandler: a command that lost a race is decided again on the new state; correlation and causation carried; a redelivery is skipped by the processed mark', async () => {
    const w = await world();
    const agg = randomUUID();
    const cmd = (n: number, correlationid?: string): CloudEvent<string, ReserveStock> =>
      makeEnvelope(
        { type: T.reserveStock, dataversion: 1, source: SOURCE, subject: agg, data: { sku: 's', quantity: n, scenario: 'ok' } },
        correlationid ? { correlationid } : {},
      );
    const decided: Array<{ quantity: number; version: number; conflicts: number }> = [];
    const decide = (s: InventoryState, c: ReserveStock, meta: { version: number; conflicts: number }) => {
      decided.push({ quantity: c.quantity, version: meta.version, conflicts: meta.conflicts });
      return shopDeciders().reserveStock(s, c, meta as never);
    };
    const [first, second] = [cmd(1, 'saga-1'), cmd(2)];
    const [a, b] = [await w.iso.connect(), await w.iso.connect()];
    await a.query('BEGIN');
    await executeCommand(a, w.repos.inventory, agg, first, decide);
    await b.query('BEGIN');
    const racing = executeCommand(b, w.repos.inventory, agg, second, decide);
    await new Promise((r) => setTimeout(r, 100));
    await a.query('COMMIT');
    expect(await racing).toMatchObject({ version: 2, conflicts: 1 });
    await b.query('COMMIT');
    expect(decided).toEqual([
      { quantity: 1, version: 0, conflicts: 0 },
      { quantity: 2, version: 0, conflicts: 0 },
      { quantity: 2, version: 1, conflicts: 1 },
    ]);
    expect((await w.repos.inventory.load(agg)).state).toMatchObject({ reserved: 3, reservations: 2 });
    const meta = await w.pool.query(`SELECT metadata FROM eventsmith_events WHERE stream_id = $1 ORDER BY stream_version`, [agg]);
    expect(meta.rows.map((r) => (r as { metadata: unknown }).metadata)).toEqual([
      { source: SOURCE, correlationid: 'saga-1', causationid: first.id },
      { source: SOURCE, correlationid: second.id, causationid: second.id },
    ]);

    // As the consumer runner applies it: processed mark and handler in one transaction.
    const handler = commandHandlers(w.repos)[T.reserveStock];
    const deliver = () =>
      inTransaction(w.pool, async (tx) => {
        if (!(await markProcessed(tx, 'inventory', second.id))) return false;
        await handler?.(second, { tx, groupId: 'inventory', topic: 't', partition: 0, offset: '0', attempt: 1, writerVersion: 1 });
        return true;
      });
    expect(await deliver()).toBe(true);
    expect(await deliver()).toBe(false);
    expect((await w.repos.inventory.load(agg)).version).toBe(3);
  });

  it('commandHandler in a consumer transaction: the aggregate loaded once, each later command decided on the state the earlier left, all appended in one statement', async () => {
    const w = await world();
    const agg = randomUUID();
    const cmd = (type: string, data: unknown): CloudEvent<string, unknown> => makeEnvelope({ type, dataversion: 1, source: SOURCE, subject: agg, data });
    const handlers = commandHandlers(w.repos);
    const run = async (commands: ReadonlyArray<CloudEvent<string, unknown>>, between?: () => Promise<void>): Promise<string[]> => {
      const client = await w.iso.connect();
      const statements: string[] = [];
      const tx = {
        query: (sql: string | { readonly text: string }, params?: unknown[]) => {
          statements.push((typeof sql === 'string' ? sql : sql.text).trim().split(/\s+/).slice(0, 4).join(' '));
          return client.query(sql as string, params);
        },
      } as unknown as typeof client;
      await client.query('BEGIN');
      const scope = transactionScope();
      for (const [k, c] of commands.entries()) {
        if (k === 1) await between?.();
        await handlers[c.type]?.(c, { tx, groupId: 'inventory', topic: 't', partition: 0, offset: String(k), attempt: 1, writerVersion: 1, transaction: scope });
      }
      await scope.commit();
      await client.query('COMMIT');
      return statements;
    };
    const reserve = (quantity: number) => cmd(T.reserveStock, { sku: 's', quantity, scenario: 'ok' });
    const statements = await run([reserve(1), reserve(2), cmd(T.releaseStock, { scenario: 'ok' }), reserve(4)]);
    // One read of the stream, one append of the four commands' events (test/saga/command-batch.test.ts has the rest).
    expect(statements.map((q) => q.split(' ')[0])).toEqual(['SELECT', 'WITH']);
    const events = await w.pool.query(`SELECT event_type FROM eventsmith_events WHERE stream_id = $1 ORDER BY stream_version`, [agg]);
    expect(events.rows.map((r) => (r as { event_type: string }).event_type)).toEqual([T.stockReserved, T.stockReserved, T.stockReleased, T.stockReserved]);
    // The release was decided on reserved = 3, what a load in between would have read.
    expect((await w.repos.inventory.load(agg)).state).toEqual({ reserved: 4, reservations: 3, releases: 1, failedReleases: 0 });
    // A command that appends nothing, another writer's append while the transaction runs its
    // handlers: the commands are loaded and decided before COMMIT, after it.
    const silent = cmd(T.reserveStock, { sku: 's', quantity: 1, scenario: 'silent-stock' });
    const again = await run([silent, reserve(2)], async () => void (await w.repos.inventory.append(agg, [{ type: T.stockReserved, data: { quantity: 10 } }], 4)));
    expect(again.map((q) => q.split(' ')[0])).toEqual(['SELECT', 'WITH']);
    expect((await w.repos.inventory.load(agg))).toMatchObject({ version: 6, state: { reserved: 16, reservations: 5 } });
  });
});

describe('definitions', () => {
  it('refuses definitions the engine cannot run, naming the saga and every problem', () => {
    const good = placeOrderSaga(topics);
    const [s1, s2] = good.steps as [(typeof good.steps)[number], (typeof good.steps)[number]];
    expect(() => new SagaEngine({ ...good, steps: [s1, { ...s2, name: s1.name }] })).toThrow(SagaDefinitionError);
    try {
      new SagaEngine<PlaceOrderContext>({
        ...good,
        retry: { maxAttempts: 0, backoffMs: -1 },
        steps: [{ ...s1, succeedsOn: [], failsOn: [T.orderPlaced], timeoutMs: 0 }, { ...s2, compensation: undefined as never }],
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SagaDefinitionError);
      expect((err as SagaDefinitionError).problems).toEqual([
        'retry.maxAttempts must be an integer >= 1, got 0',
        'retry.backoffMs must be >= 0, got -1',
        'step "reserveStock" has no succeedsOn event',
        `step "reserveStock": the start event ${T.orderPlaced} cannot also answer a step`,
        'step "reserveStock" timeoutMs must be a positive number of milliseconds, got 0',
        'step "capturePayment" lists compensation events but has no compensation',
      ]);
      expect((err as Error).message).toMatch(/^eventsmith: saga "PlaceOrder" is invalid: /);
    }
  });
});
