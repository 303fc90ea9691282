// What the generated repositories read back from the real server: events an older service
// stored at version 1 load at the latest version; Avro binary and JSON storage are read by
// either configuration; every type of the DSL survives a store and a snapshot; and bad rows are
// a typed EventDecodeError naming stream and version, never a crash in a reducer.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AvroDecodeError,
  EventDecodeError,
  type EventInput,
  type NewEvent,
  type Repository,
  appendToStream,
  migrate,
} from '../../generator/runtime/index.js';
import { edit } from '../check/helpers.js';
import { type Isolated, useTestDatabase } from '../postgres/db.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from '../emit/evolution-support.js';
import {
  type OrderRepository,
  type OrdersService,
  type PaymentRepository,
  type RepositoryFactory,
  cancelledType,
  confirmed,
  generateModules,
  generateService,
  item,
  member,
  orderSpec,
  placed,
  placedType,
} from './service.js';

const db = useTestDatabase();
let service: OrdersService;
let iso: Isolated;
let orders: OrderRepository;
let payments: PaymentRepository;

beforeAll(async () => {
  service = await generateService('stored-data');
  iso = await db.isolated();
  await migrate(iso.pool);
  orders = service.orderRepository(iso.pool);
  payments = service.paymentRepository(iso.pool);
}, 60_000);

afterAll(async () => {
  await orders.settled();
  service.remove();
});

/** A row as an older service (or another tool) would have written it, through the runtime. */
function storedEvent(eventType: string, schemaVersion: number, data: Uint8Array, contentType = 'application/avro'): NewEvent {
  return { eventId: randomUUID(), eventType, schemaVersion, data, contentType };
}

const utf8 = new TextEncoder();
const orderId = '6f1c7a2e-0b1d-4c7e-9a51-2d3c4b5a6f70';

describe('events stored at an earlier version', () => {
  it('OrderPlaced v1 (Avro binary, and Avro JSON) loads as v2, and the stream continues at the latest version', async () => {
    const v1 = { customerId: 'c-7', items: [item], amount: '19.98' };
    const v1Codec = service.codec('orderPlacedV1Codec');
    for (const [contentType, data] of [
      ['application/avro', v1Codec.toBinary(v1)],
      ['application/json', utf8.encode(v1Codec.toJson(v1))],
    ] as const) {
      const id = randomUUID();
      await appendToStream(iso.pool, { streamType: 'Order', streamId: id, expectedVersion: 0, events: [storedEvent(placedType, 1, data, contentType)] });
      const loaded = await orders.load(id);
      expect(loaded).toMatchObject({ version: 1, eventsApplied: 1 });
      expect(loaded.state).toEqual({
        status: 'placed',
        customerId: 'c-7',
        items: [item],
        total: { amount: '19.98', currency: 'USD' }, // the declarative upcast: `{ amount: $.amount, currency: USD }`
        shippingAddress: null,
        cancellationReason: null,
        revision: 1,
      });
      await orders.append(id, [confirmed()], loaded.version);
      const r = await iso.pool.query<{ schema_version: number; content_type: string }>(
        'SELECT schema_version, content_type FROM eventsmith_events WHERE stream_id = $1 ORDER BY stream_version',
        [id],
      );
      expect(r.rows).toEqual([
        { schema_version: 1, content_type: contentType },
        { schema_version: 1, content_type: 'application/avro' }, // OrderConfirmed has one version
      ]);
      expect((await orders.load(id)).state).toMatchObject({ status: 'confirmed', total: { amount: '19.98', currency: 'USD' }, revision: 2 });
    }
  });

  it('PaymentCaptured v1 (declarative) and PaymentDeclined v1 (the custom upcaster) load as their latest versions', async () => {
    const id = randomUUID();
    const amount = { amount: '5.00', currency: 'USD' };
    await appendToStream(iso.pool, {
      streamType: 'Payment',
      streamId: id,
      expectedVersion: 0,
      events: [
        storedEvent('com.example.orders.payment.declined', 1, service.codec('paymentDeclinedV1Codec').toBinary({ orderId, reason: 'card_expired: Card expired 01/24', metadata: { psp: 'x' } })),
        storedEvent('com.example.orders.payment.captured', 1, service.codec('paymentCapturedV1Codec').toBinary({ orderId, amount })),
      ],
    });
    expect(await payments.load(id)).toMatchObject({ version: 2, state: { status: 'captured', amount, method: 'unknown', attempts: 2 } });
    // The same stream read event by event, through the generated upcasters.
    const up = await service.module('orders/upcasters.js');
    const upcast = member<(e: unknown) => unknown>(up, 'upcastPaymentEvent', 'function');
    expect(upcast({ type: 'com.example.orders.payment.declined', dataVersion: 1, data: { orderId, reason: 'card_expired: Card expired 01/24', metadata: {} } })).toMatchObject({
      data: { code: 'cardExpired', message: 'Card expired 01/24' },
    });
  });
});

describe('stored encoding (`storage.encoding`)', () => {
  it('json: data and outbox payload in Avro JSON with their content type; avro and json services read each other', async () => {
    const jsonService = await generateService('stored-json', edit(orderSpec(), ['compatibility: BACKWARD_TRANSITIVE\n', 'compatibility: BACKWARD_TRANSITIVE\nstorage: { encoding: json }\n']));
    try {
      const jsonOrders = jsonService.orderRepository(iso.pool);
      const id = randomUUID();
      await jsonOrders.append(id, [placed('c-json', '7.00')], 0);
      await orders.append(id, [confirmed()], 1);
      await jsonOrders.append(id, [{ type: cancelledType, data: { reason: 'ü 🚚', cancelledAt: new Date(0) } }], 2);
      const rows = await iso.pool.query<{ content_type: string; data: Buffer; outbox_content_type: string; payload: Buffer }>(
        `SELECT e.content_type, e.data, o.content_type AS outbox_content_type, o.payload FROM eventsmith_events e JOIN eventsmith_outbox o ON o.id = e.event_id
          WHERE e.stream_id = $1 ORDER BY e.stream_version`,
        [id],
      );
      expect(rows.rows.map((r) => [r.content_type, r.outbox_content_type])).toEqual([
        ['application/json', 'application/json'],
        ['application/avro', 'application/avro'],
        ['application/json', 'application/json'],
      ]);
      const first = rows.rows[0];
      expect(first?.data.toString('utf8')).toBe(service.codec('orderPlacedV2Codec').toJson(placed('c-json', '7.00').data));
      expect(first?.payload.equals(first.data)).toBe(true);
      const want = { status: 'cancelled', customerId: 'c-json', cancellationReason: 'ü 🚚', revision: 3 };
      expect((await jsonOrders.load(id)).state).toMatchObject(want);
      expect((await orders.load(id)).state).toMatchObject(want);
    } finally {
      jsonService.remove();
    }
  });

  it('every type of the DSL survives the store and a snapshot (test/cases/all-types: json storage, long ids, snapshotEvery 10)', async () => {
    const spec = readFileSync(path.join(root, 'test/cases/all-types/input.yaml'), 'utf8');
    const generated = await generateModules('stored-all-types', spec);
    try {
      type Item = Repository<bigint, Record<string, unknown>, EventInput<{ readonly type: string; readonly data: unknown }>>;
      const items = member<RepositoryFactory<Item>>(await generated.module('catalog/repository.js'), 'itemRepository', 'function')(iso.pool);
      const tree = { label: 'root', children: [{ label: 'leaf', children: [], parent: null }], parent: { label: 'up', children: [], parent: null } };
      const data = (n: number) => ({
        s: `ü ${n} 🚀`,
        i: -2147483648,
        l: 9223372036854775807n,
        f: 0.5,
        d: -1.25e-300,
        b: true,
        by: Uint8Array.from([0, 255, n]),
        u: '6f1c7a2e-0b1d-4c7e-9a51-2d3c4b5a6f70',
        dt: '2024-02-29',
        tm: 86_399_999,
        tsm: new Date(-1),
        tsu: -9223372036854775808n,
        dec: '-12345678901234567890123456789.123456789',
        arr: [1n, -(2n ** 63n)],
        mp: { '': '0.01', ['__proto__']: '-999.99' },
        opt: null,
        optArr: [null, 1],
        nested: { x: ['low', 'high'] },
        digest: new Uint8Array(32).fill(n),
        level: 'mid',
        tree,
        color: 'red',
        big: 9223372036854775807n,
        when: null,
      });
      const id = 2n ** 62n + 1n;
      const events = Array.from({ length: 12 }, (_, n) => ({ type: 'com.acme.catalog.item.everythinghappened', data: data(n) }));
      expect((await items.append(id, events, 0)).version).toBe(12);
      await items.settled();
      const withSnapshot = await items.load(id);
      expect(withSnapshot).toMatchObject({ version: 12, snapshotVersion: 12, eventsApplied: 0 });
      expect(withSnapshot.state).toEqual({ name: 'ü 11 🚀', tags: {}, level: 'low', digest: null, tree: null, seen: 9007199254740993n });
      const stored = await iso.pool.query<{ stream_id: string; content_type: string }>(`SELECT DISTINCT stream_id, content_type FROM eventsmith_events WHERE stream_type = 'Item'`);
      expect(stored.rows).toEqual([{ stream_id: '4611686018427387905', content_type: 'application/json' }]);
      // Every event decodes to exactly what was appended.
      const avro = await generated.module('catalog/avro.js');
      const codec = member<{ fromJson(text: string): unknown }>(avro, 'everythingHappenedV1Codec', 'object');
      const r = await iso.pool.query<{ data: Buffer }>(`SELECT data FROM eventsmith_events WHERE stream_type = 'Item' ORDER BY stream_version`);
      expect(r.rows.map((x) => codec.fromJson(x.data.toString('utf8')))).toEqual(events.map((e) => e.data));
    } finally {
      generated.remove();
    }
  });
});

describe('bad data', () => {
  async function storeThenLoad(bad: NewEvent): Promise<{ id: string; err: unknown }> {
    const id = randomUUID();
    await orders.append(id, [placed(), confirmed()], 0);
    await appendToStream(iso.pool, { streamType: 'Order', streamId: id, expectedVersion: 2, events: [bad] });
    return { id, err: await orders.load(id).catch((e: unknown) => e) };
  }

  it('an event of unknown type is an EventDecodeError naming stream and version', async () => {
    const { id, err } = await storeThenLoad(storedEvent('com.example.orders.order.shipped', 1, new Uint8Array([2, 0x61])));
    expect(err).toBeInstanceOf(EventDecodeError);
    expect(err).toMatchObject({ streamType: 'Order', streamId: id, streamVersion: 3, eventType: 'com.example.orders.order.shipped', failure: 'unknown-event-type' });
    expect((err as Error).message).toBe(`cannot load Order "${id}" version 3: unknown event type "com.example.orders.order.shipped" (schema version 1)`);
  });

  it('undecodable bytes are an EventDecodeError naming stream and version, with the codec error as cause', async () => {
    const { id, err } = await storeThenLoad(storedEvent(placedType, 2, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])));
    expect(err).toBeInstanceOf(EventDecodeError);
    expect(err).toMatchObject({ streamType: 'Order', streamId: id, streamVersion: 3, eventType: placedType, schemaVersion: 2, failure: 'undecodable' });
    expect((err as Error).cause).toBeInstanceOf(AvroDecodeError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot load Order "${id}" version 3: event "${placedType}" v2 is undecodable: `));

    // Trailing garbage after a valid value, and valid JSON that is not the schema's, are as undecodable.
    const valid = service.codec('orderConfirmedV1Codec').toBinary(confirmed().data);
    const trailing = await storeThenLoad(storedEvent('com.example.orders.order.confirmed', 1, Uint8Array.from([...valid, 0])));
    expect(trailing.err).toMatchObject({ name: 'EventDecodeError', streamVersion: 3, failure: 'undecodable' });
    const wrongJson = await storeThenLoad(storedEvent('com.example.orders.order.confirmed', 1, utf8.encode('{"confirmedAt":"yesterday"}'), 'application/json'));
    expect(wrongJson.err).toMatchObject({ name: 'EventDecodeError', streamVersion: 3, failure: 'undecodable' });
  });

  it('a schema version or content type this code does not know is an EventDecodeError too', async () => {
    const future = await storeThenLoad(storedEvent(placedType, 3, new Uint8Array()));
    expect(future.err).toBeInstanceOf(EventDecodeError);
    expect((future.err as Error).message).toBe(
      `cannot load Order "${future.id}" version 3: event "${placedType}" v3 is undecodable: no schema version 3 of ${placedType} in this code (known: 1, 2)`,
    );
    const text = await storeThenLoad(storedEvent('com.example.orders.order.confirmed', 1, utf8.encode('confirmed'), 'text/plain'));
    expect((text.err as Error).message).toMatch(/version 3: .* is undecodable: unsupported content type "text\/plain"$/);
  });
});
