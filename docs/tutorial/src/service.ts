// Append an event, publish it through the outbox, and keep a table from it with a typed consumer.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka } from 'kafkajs';
import pg from 'pg';
import { KafkaPublisher, OutboxRelay, ensureTopics, kafkaLogCreator, migrate, stderrLogger } from 'eventsmith/runtime';
import { createEventConsumer, topicSpecs } from './generated/shop/kafka.js';
import { cartRepository } from './generated/shop/repository.js';

const { DATABASE_URL, KAFKA_BROKERS } = process.env;
if (!DATABASE_URL || !KAFKA_BROKERS) throw new Error('DATABASE_URL and KAFKA_BROKERS must be set (npx eventsmith dev -- … sets both)');

const logger = stderrLogger(); // retries, dead letters, relay errors; a pino logger fits too
const pool = new pg.Pool({ connectionString: DATABASE_URL });
const kafka = new Kafka({ clientId: 'shop', brokers: KAFKA_BROKERS.split(','), logCreator: kafkaLogCreator(logger) });
await migrate(pool); // the event store, outbox, ... (once per migration; safe from every replica)
await pool.query('CREATE TABLE IF NOT EXISTS cart_lines (cart_id uuid NOT NULL, sku text NOT NULL)');
await ensureTopics(kafka, topicSpecs(3));

// Write: load, decide, append; the outbox row commits with the event.
const carts = cartRepository(pool);
const cartId = randomUUID();
const { version } = await carts.load(cartId);
await carts.append(cartId, [{ type: 'com.example.shop.cart.itemadded', data: { sku: 'sku-1', price: { amount: '12.50', currency: 'EUR' } } }], version);

// Publish: the relay moves outbox rows to Kafka, in order per cart, as CloudEvents.
const publisher = new KafkaPublisher({ kafka, logger });
const relay = new OutboxRelay({ pool, publisher, logger });
relay.start();

// Read: a typed handler per event, applied once in effect (retries, then `<topic>.dlq`).
const consumer = createEventConsumer({ kafka, pool, groupId: 'cart-lines', publisher, logger }, {
  Cart: {
    ItemAdded: async (event, { tx }) => {
      await tx.query('INSERT INTO cart_lines (cart_id, sku) VALUES ($1, $2)', [event.subject, event.data.sku]);
    },
  },
});
await consumer.start();

// The consumer's row, then a clean stop.
let lines: { sku: string }[] = [];
const deadline = Date.now() + 60_000;
while (lines.length === 0 && Date.now() < deadline) {
  await sleep(100);
  lines = (await pool.query<{ sku: string }>('SELECT sku FROM cart_lines WHERE cart_id = $1', [cartId])).rows;
}
console.log(lines.length > 0 ? `cart ${cartId}: ${lines.map((l) => l.sku).join(', ')}` : `cart ${cartId}: no line after 60 s`);
await consumer.stop();
await relay.stop();
await publisher.disconnect();
await pool.end();
process.exitCode = lines.length > 0 ? 0 : 1;
