// Kafka mode of the generated projections on a real KRaft broker and a real PostgreSQL: the ledger
// spec's AccountBalance (a rule reading `$version`, and a `custom` rule) kept by the generated
// consumer handlers from what the repository → outbox → relay publish, against the same rules run
// from the event store; every event applied once though each message arrives twice; an event
// without the stream version (published directly) is dead-lettered, not applied with a made-up one.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ConnectionPool,
  type KafkaConsumerRunner,
  KafkaPublisher,
  OutboxRelay,
  type ProjectionDefinition,
  type Queryable,
  type TopicSpec,
  ensureProjection,
  ensureTopics,
  migrate,
  projectBatch,
} from '../../generator/runtime/index.js';
import { root } from '../emit/evolution-support.js';
import { kafkaClient, readTopic } from '../kafka/helpers.js';
import { waitFor } from '../kafka/support.js';
import { useTestDatabase } from '../postgres/db.js';
import { type GeneratedModules, generateModules } from '../repository/service.js';
import { type KafkaBroker, startKafka } from '../support/kafka.mjs';

const db = useTestDatabase();
const run = randomUUID().slice(0, 8);
const topic = `ledger-accounts-${run}`;
// A topic of its own, so that other test files on the same broker cannot interfere.
const spec = readFileSync(path.join(root, 'test/cases/projections/input.yaml'), 'utf8').replace(/^ {2}Account:\n/m, `  Account:\n    topic: ${topic}\n`);

// The custom rule, filled in: appends the auditor to flags (the same code in both modes).
const customRules = new Map([
  [
    'eventsmith/ledger/projections.ts',
    `import type { ProjectionApplied, ProjectionEvent, Queryable } from '${path.join(root, 'generator/runtime/index.ts')}';
export async function projectAccountBalanceAccountAudited(db: Queryable, table: string, e: ProjectionEvent<{ auditor: string }>): Promise<ProjectionApplied> {
  await db.query(\`UPDATE "\${table}" SET flags = flags || $1::text WHERE account_id = $2::bigint\`, ['audited by ' + e.event.auditor + ' at v' + e.version, e.subject]);
  return 'applied';
}
`,
  ],
]);

type Events = readonly { type: string; data: unknown }[];
type Append = { append(id: bigint, events: Events, expected: number): Promise<unknown>; settled(): Promise<void> };
type Handlers = Record<string, unknown>;
type Consumer = (options: { kafka: Kafka; pool: ConnectionPool; groupId: string; attempts?: number }, handlers: Handlers) => KafkaConsumerRunner<Record<string, unknown>>;

let gen: GeneratedModules;
let broker: KafkaBroker;
let kafka: Kafka;
let publisher: KafkaPublisher;
let balance: ProjectionDefinition<unknown>;
let kafkaHandlers: (table?: string) => Handlers;
let getBalance: (db: Queryable, id: bigint, table?: string) => Promise<Record<string, unknown> | undefined>;
let accountRepository: (pool: ConnectionPool) => Append;
let createEventConsumer: Consumer;
let createEventPublisher: (p: KafkaPublisher) => { audited(id: bigint, data: { auditor: string }): Promise<unknown> };

beforeAll(async () => {
  gen = await generateModules('projection-kafka', spec, customRules);
  const m = await gen.module('ledger/projections.js');
  balance = m['accountBalanceProjection'] as ProjectionDefinition<unknown>;
  kafkaHandlers = m['accountBalanceKafkaHandlers'] as typeof kafkaHandlers;
  getBalance = m['getAccountBalance'] as typeof getBalance;
  accountRepository = (await gen.module('ledger/repository.js'))['accountRepository'] as typeof accountRepository;
  const k = await gen.module('ledger/kafka.js');
  createEventConsumer = k['createEventConsumer'] as Consumer;
  createEventPublisher = k['createEventPublisher'] as typeof createEventPublisher;
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers);
  publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
  await ensureTopics(kafka, (k['topicSpecs'] as (n?: number) => TopicSpec[])(2));
}, 600_000);

afterAll(async () => {
  await publisher?.disconnect();
  await broker?.stop();
  gen?.remove();
}, 60_000);

const opened = (owner: string) => ({
  type: 'com.acme.ledger.account.opened',
  data: { owner, tier: 'gold', limit: '100.0000', openedOn: '2024-02-29', cutoff: 1, auditedAt: 1n, secret: new Uint8Array([1]), score: 1, ratio: 0.5, vip: false },
});
const deposited = (reference: string, amount: string, sequence: bigint) => ({ type: 'com.acme.ledger.account.deposited', data: { amount, reference, sequence } });
const audited = (auditor: string) => ({ type: 'com.acme.ledger.account.audited', data: { auditor } });

it('applies a $version rule and a custom rule exactly once from Kafka, as the runner does from the event store', async () => {
  const iso = await db.isolated({ max: 12 });
  await migrate(iso.pool);
  await ensureProjection(iso.pool, balance);
  const kafkaTable = 'account_balances_kafka';
  for (const statement of balance.ddl(kafkaTable)) await iso.pool.query(statement);
  const accounts = accountRepository(iso.pool);
  // Account 1 is opened at stream version 3 (two deposits before it find no row); account 2 at 1.
  await accounts.append(1n, [deposited('r0', '1.0000', 1n), deposited('r1', '2.0000', 2n)], 0);
  await accounts.append(1n, [opened('ann')], 2);
  await accounts.append(1n, [deposited('r2', '10.5000', 3n), audited('eve'), deposited('r3', '0.2500', 4n)], 3);
  await accounts.append(2n, [opened('bob')], 0);
  await accounts.append(2n, [audited('joe')], 1);
  const appended = 8;

  const relay = new OutboxRelay({ pool: iso.pool, publisher, idlePollMs: 200 });
  const consumer = createEventConsumer({ kafka, pool: iso.pool, groupId: `projection-${run}`, attempts: 1 }, kafkaHandlers(kafkaTable));
  relay.start();
  await consumer.start();
  try {
    await waitFor('every appended event applied from Kafka', () => consumer.metrics().applied >= appended, 120_000);
    // Every message again, as a producer retry or a replay would deliver it: nothing is applied twice.
    const messages = await readTopic(kafka, topic, appended);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
    await waitFor('the redelivered messages seen', () => consumer.metrics().duplicates >= appended, 120_000);
    // An event published without the event store has no stream version: it is dead-lettered.
    await createEventPublisher(publisher).audited(2n, { auditor: 'nobody' });
    await waitFor('the event without a stream version dead-lettered', () => consumer.metrics().deadLettered >= 1, 120_000);
    await producer.disconnect();
    await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 60_000);
    expect(consumer.metrics()).toMatchObject({ applied: appended, duplicates: appended, deadLettered: 1 });
  } finally {
    await relay.stop();
    await consumer.stop();
    await accounts.settled();
  }

  // The event store's runner over the same events, into the live table.
  for (;;) if ((await projectBatch(iso.pool, balance, { limit: 3 })).read === 0) break;
  const one = await getBalance(iso.pool, 1n, kafkaTable);
  const two = await getBalance(iso.pool, 2n, kafkaTable);
  expect(one).toMatchObject({ owner: 'ann', lastVersion: 3, balance: '10.7500', deposits: 2n, references: ['r2', 'r3'], flags: ['audited by eve at v5'] });
  expect(two).toMatchObject({ owner: 'bob', lastVersion: 1, balance: '0.0000', deposits: 0n, flags: ['audited by joe at v2'] });
  expect(one).toEqual(await getBalance(iso.pool, 1n));
  expect(two).toEqual(await getBalance(iso.pool, 2n));
}, 300_000);
