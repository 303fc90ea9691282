// Sagas end to end on a real KRaft broker and a real PostgreSQL: OrderPlaced appended → outbox
// relay → Kafka → orchestrator (consumer runner + saga engine) → commands in the outbox → relay
// → Kafka → command consumers (commandHandler + deciders on the test aggregates) → events →
// relay → orchestrator … Each test proves one promise of the saga issue.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaPublisher, countSagas, decodeCloudEvent } from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { useTestDatabase } from '../postgres/db.js';
import { readTopic } from '../kafka/helpers.js';
import { EXPECTED, type Scenario, T, placeOrder } from './domain.js';
import { type CommandRows, commandsBySaga, describeSagas, settledCount, streamsByAggregate, summarize, waitFor } from './helpers.js';
import { seeded } from './pump.js';
import { ChaosPublisher, type Child, World, kafkaClient, startOrchestratorChild } from './world.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;
let publisher: KafkaPublisher;
let world: World;
/** Orchestrator processes of the crash test, killed in any case. */
const children: Child[] = [];

beforeAll(async () => {
  // Killed orchestrators hold their partitions until their session expires: allow short ones.
  broker = await startKafka({ properties: { 'group.min.session.timeout.ms': 1000 } });
  kafka = kafkaClient(broker.brokers);
  publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
  world = await World.create({ db, kafka, publisher, sessionTimeout: broker.external ? 6000 : 2000 });
  world.startRelay();
  await world.startServices();
  await world.startOrchestrator();
}, 600_000);

afterAll(async () => {
  for (const child of children) child.kill();
  await world?.stop();
  await publisher?.disconnect();
  await broker?.stop();
}, 60_000);

/** Places one order per scenario and returns the ids. */
async function place(scenarios: readonly string[]): Promise<string[]> {
  const ids = scenarios.map(() => randomUUID());
  await Promise.all(ids.map((id, i) => placeOrder(world.repos, id, scenarios[i] ?? 'ok')));
  return ids;
}

async function settled(ids: readonly string[], timeoutMs = 30_000): Promise<void> {
  await waitFor(`${ids.length} sagas settled`, async () => (await settledCount(world.pool, ids)) === ids.length, timeoutMs, async () =>
    `${await describeSagas(world.pool, ids)}; errors: ${world.errors.slice(0, 5).join(' | ')}`,
  );
}

/** Each command of the scenario once (rows and ids), except those listed in `times`. */
function expectedCommands(scenario: Scenario, times: Readonly<Record<string, number>> = {}): CommandRows[] {
  return EXPECTED[scenario].commands.map((type) => ({ type, rows: times[type] ?? 1, ids: 1 }));
}

async function expectRun(id: string, scenario: Scenario, times: Readonly<Record<string, number>> = {}): Promise<void> {
  expect((await world.engine.get(world.pool, id))?.status, `${scenario} ${id}`).toBe(EXPECTED[scenario].status);
  expect((await commandsBySaga(world.pool, [id])).get(id), `${scenario} ${id}`).toEqual(expectedCommands(scenario, times));
  expect((await streamsByAggregate(world.pool, [id])).get(id), `${scenario} ${id}`).toEqual(EXPECTED[scenario].streams);
}

describe('orchestrated sagas on Kafka', () => {
  it('happy path: the saga completes, and the completion command is sent once (outbox and broker) and applied once', async () => {
    const [id] = (await place(['ok'])) as [string];
    await settled([id]);
    await expectRun(id, 'ok');
    // On the broker: exactly one ConfirmOrder for this order (the first test: the topic holds only it).
    const messages = await readTopic(kafka, world.topics.ordersCommands, 1, 20_000);
    const confirms = messages.map((m) => decodeCloudEvent(m)).filter((d) => d.ok && d.event.type === T.confirmOrder && d.event.subject === id);
    expect(confirms).toHaveLength(1);
    expect(messages).toHaveLength(1);
  }, 60_000);

  it('a failure at step 2 compensates step 1 exactly once, then sends the compensated action (CancelOrder)', async () => {
    const [id] = (await place(['fail-payment'])) as [string];
    await settled([id]);
    await expectRun(id, 'fail-payment');
    const order = await world.pool.query(`SELECT type FROM eventsmith_outbox WHERE headers->>'correlationid' = $1 AND type LIKE '%.command.%' ORDER BY txid, position`, [id]);
    expect(order.rows.map((r) => (r as { type: string }).type)).toEqual([T.reserveStock, T.capturePayment, T.releaseStock, T.cancelOrder]);
    expect((await world.engine.get(world.pool, id))?.book.failure).toMatchObject({ step: 'capturePayment', reason: 'failed' });
  }, 60_000);

  it('a timeout at any step compensates, also when the orchestrator and its poller were restarted after the step started', async () => {
    await world.stopOrchestrator();
    const timings = { stepTimeoutMs: 1500, maxAttempts: 2 };
    // No poller yet: no deadline can fire before the restart, however slow the machine.
    await world.startOrchestrator(timings, {}, false);
    const scenarios = ['silent-stock', 'silent-payment', 'silent-shipping'] as const;
    const ids = await place(scenarios);
    const silentStep = { 'silent-stock': 'reserveStock', 'silent-payment': 'capturePayment', 'silent-shipping': 'arrangeShipment' } as const;
    await waitFor('each saga waiting on its silent step', async () => {
      const sagas = await Promise.all(ids.map((id) => world.engine.get(world.pool, id)));
      return sagas.every((s, i) => s?.step === silentStep[scenarios[i] as keyof typeof silentStep] && s.attempt === 1);
    });
    // Down while the deadlines pass; a new process (engine, consumer, poller) finds them stored.
    await world.stopOrchestrator();
    const stopped = await Promise.all(ids.map((id) => world.engine.get(world.pool, id)));
    expect(stopped.map((s) => s?.attempt)).toEqual([1, 1, 1]);
    const deadlines = stopped.map((s) => s?.timeoutAt?.getTime() ?? 0);
    await new Promise((r) => setTimeout(r, Math.max(0, Math.max(...deadlines) - Date.now() + 100)));
    expect(await countSagas(world.pool)).toMatchObject({ running: 3 });
    await world.startOrchestrator(timings);
    await settled(ids);
    const silentCommand = { 'silent-stock': T.reserveStock, 'silent-payment': T.capturePayment, 'silent-shipping': T.arrangeShipment } as const;
    for (const [i, scenario] of scenarios.entries()) {
      const id = ids[i] as string;
      // The silent step's command went out twice as one message (the receiver applied it once); then compensation.
      await expectRun(id, scenario, { [silentCommand[scenario]]: 2 });
      expect((await world.engine.get(world.pool, id))?.book.failure).toMatchObject({ step: silentStep[scenario], reason: 'timed-out' });
    }
    expect(world.engine.metrics()).toMatchObject({ resends: 3, stepsTimedOut: 3, compensated: 3 });
    await world.stopOrchestrator();
    await world.startOrchestrator();
  }, 60_000);

  it('an orchestrator killed between steps, and in the middle of a transition, resumes every saga correctly', async () => {
    await world.stopOrchestrator();
    // A, B, C wait on steps 1, 2, 3 (their services are silent; the test answers for them later); D completes.
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const e = randomUUID();
    const first = startOrchestratorChild(world, db.url, broker.brokers, { KILL_ON_SAGA: e });
    children.push(first);
    await first.waitFor('started');
    await placeOrder(world.repos, a, 'silent-stock');
    await placeOrder(world.repos, b, 'silent-payment');
    await placeOrder(world.repos, c, 'silent-shipping');
    await placeOrder(world.repos, d, 'ok');
    const at = async (id: string) => {
      const s = await world.engine.get(world.pool, id);
      return `${s?.status}:${s?.step}`;
    };
    await waitFor('sagas between every two steps', async () =>
      (await Promise.all([a, b, c, d].map(at))).join(' ') === 'running:reserveStock running:capturePayment running:arrangeShipment completed:null',
    );
    // E's start kills the child after its writes, before the commit.
    await placeOrder(world.repos, e, 'ok');
    expect((await first.exited).signal, first.output()).toBe('SIGKILL');
    expect(first.output()).toContain(`transition ${e} started`);
    expect(await world.engine.get(world.pool, e)).toBeUndefined();

    // While no orchestrator runs, the silent services answer after all (as themselves).
    const causedBy = async (id: string) => ({ correlationId: id, causationId: (await world.engine.get(world.pool, id))?.book.pending?.commandId ?? '' });
    await world.repos.inventory.append(a, [{ type: T.stockReserved, data: { quantity: 2 } }], 0, await causedBy(a));
    await world.repos.payment.append(b, [{ type: T.paymentCaptured, data: { amount: 12_345_678_901_234_567n, paymentId: `pay-${b}` } }], 0, await causedBy(b));
    await world.repos.shipping.append(c, [{ type: T.shipmentArranged, data: { shipmentId: `ship-${c}` } }], 0, await causedBy(c));

    // A second orchestrator process dies right after its first commit, before its offsets are committed.
    const second = startOrchestratorChild(world, db.url, broker.brokers, { KILL_AFTER_COMMIT: '1' });
    children.push(second);
    expect((await second.exited).signal, second.output()).toBe('SIGKILL');
    expect(second.output()).toMatch(/transition \S+ \S+/);

    await world.startOrchestrator();
    const ids = [a, b, c, d, e];
    await settled(ids);
    for (const id of ids) {
      expect((await world.engine.get(world.pool, id))?.status).toBe('completed');
      // Every step's command sent once (the answers the test wrote stand for the silent services), completion once.
      const sent = (await commandsBySaga(world.pool, [id])).get(id);
      expect(sent).toEqual(expectedCommands('ok'));
    }
    expect((await streamsByAggregate(world.pool, [e])).get(e)).toEqual(EXPECTED.ok.streams);
    // The redelivered messages of the second process's committed transaction were skipped.
    await waitFor('redelivery seen', () => (world.orchestrator?.metrics().duplicates ?? 0) > 0, 10_000);
  }, 90_000);

  it('duplicated and reordered deliveries end in the same final state as the clean run', async () => {
    const scenarios = ['ok', 'fail-stock', 'fail-payment', 'fail-shipping'] as const;
    const clean = await place(scenarios);
    await settled(clean);
    const cleanSummary = new Map(await Promise.all(scenarios.map(async (s, i) => [s, await summarize(world.pool, world.engine, clean[i] as string)] as const)));

    // The same scenarios, three of each, through a relay whose publisher shuffles, delays and duplicates.
    await world.stopRelay();
    const chaos = new ChaosPublisher(kafka, seeded(7), (err) => world.errors.push(String(err)));
    await chaos.connect();
    world.startRelay(chaos);
    const chaotic = scenarios.flatMap((s) => [s, s, s]);
    const ids = await place(chaotic);
    try {
      await settled(ids);
      await chaos.settle();
    } finally {
      await world.stopRelay();
      await chaos.disconnect();
      world.startRelay();
    }
    // Let the late copies arrive and be acknowledged (duplicates) before looking.
    await waitFor('the orchestrator saw duplicates', () => (world.orchestrator?.metrics().duplicates ?? 0) > 20, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    for (const [i, s] of chaotic.entries()) expect(await summarize(world.pool, world.engine, ids[i] as string), `${s}`).toEqual(cleanSummary.get(s));
    expect(world.services?.metrics().duplicates ?? 0).toBeGreaterThan(0);
  }, 90_000);

  it('1,000 concurrent sagas all end in a final state, with no step run twice', async () => {
    const mix: Scenario[] = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'fail-stock', 'fail-payment', 'fail-shipping'];
    const scenarios = Array.from({ length: 1000 }, (_, i) => mix[i % mix.length] as Scenario);
    const started = Date.now();
    const ids = scenarios.map(() => randomUUID());
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < ids.length; i = next++) await placeOrder(world.repos, ids[i] as string, scenarios[i] as string);
      }),
    );
    await settled(ids, 120_000);
    const millis = Date.now() - started;
    const sent = await commandsBySaga(world.pool, ids);
    const streams = await streamsByAggregate(world.pool, ids);
    const statuses = await world.pool.query('SELECT saga_id, status FROM eventsmith_saga_state WHERE saga_id = ANY($1::text[])', [ids]);
    const status = new Map((statuses.rows as Array<{ saga_id: string; status: string }>).map((r) => [r.saga_id, r.status]));
    const problems: string[] = [];
    for (const [i, id] of ids.entries()) {
      const s = scenarios[i] as Scenario;
      if (status.get(id) !== EXPECTED[s].status) problems.push(`${id} (${s}) is ${status.get(id)}`);
      if (JSON.stringify(sent.get(id)) !== JSON.stringify(expectedCommands(s))) problems.push(`${id} (${s}) sent ${JSON.stringify(sent.get(id))}`);
      if (JSON.stringify(streams.get(id)) !== JSON.stringify(EXPECTED[s].streams)) problems.push(`${id} (${s}) recorded ${JSON.stringify(streams.get(id))}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    const commands = [...sent.values()].reduce((n, list) => n + list.reduce((m, c) => m + c.rows, 0), 0);
    console.log(`1,000 sagas (${commands} commands) settled in ${millis} ms: ${Math.round(1_000_000 / millis)} sagas/s; engine ${JSON.stringify(world.engine.metrics())}`);
  }, 150_000);
});
