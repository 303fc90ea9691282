// The generated upcasters and reducers, RUN: each spec is generated through the real pipeline,
// transpiled without type checking (ts.transpileModule) into test/tmp/, imported and called.
// Events written at an old version are encoded and decoded with that version's Avro codec, then
// upcast, and must equal the latest version exactly; reducers fold sequences into known states.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCustomFiles, generateJs, root, scratch } from './evolution-support.js';

interface Codec {
  toBinary(value: unknown): Uint8Array;
  fromBinary(bytes: Uint8Array): unknown;
  toJson(value: unknown): string;
  fromJson(text: string): unknown;
  isValid(value: unknown): boolean;
}
type Fn = (...args: unknown[]) => unknown;
type Module = Record<string, unknown>;

const work = scratch('evolution-runtime');
const modules = new Map<string, Module>();

async function load(rel: string): Promise<Module> {
  const hit = modules.get(rel);
  if (hit) return hit;
  const m = (await import(pathToFileURL(path.join(work.dir, rel)).href)) as Module;
  modules.set(rel, m);
  return m;
}

function fn(m: Module, name: string): Fn {
  const f = m[name];
  if (typeof f !== 'function') throw new Error(`no function ${name}`);
  return f as Fn;
}

function codec(m: Module, name: string): Codec {
  const c = m[name];
  if (typeof c !== 'object' || c === null) throw new Error(`no codec ${name}`);
  return c as Codec;
}

/** Written at an old version: through that version's Avro binary and JSON codecs and back. */
function stored(avro: Module, codecName: string, value: unknown): unknown {
  const c = codec(avro, codecName);
  const fromBinary = c.fromBinary(c.toBinary(value));
  expect(c.fromJson(c.toJson(value))).toEqual(fromBinary);
  return fromBinary;
}

beforeAll(async () => {
  const orders = readFileSync(path.join(root, 'test/cases/orders/input.yaml'), 'utf8');
  await generateJs(work.dir, 'orders.yaml', orders, exampleCustomFiles());
  await generateJs(work.dir, 'forms.yaml', readFileSync(path.join(root, 'test/cases/evolution/input.yaml'), 'utf8'));
}, 60_000);

afterAll(() => work.remove());

const orderId = '6f1c7a2e-0b1d-4c7e-9a51-2d3c4b5a6f70';
const item = { productId: 'p-1', quantity: 2, unitPrice: { amount: '9.99', currency: 'EUR' } };

describe('the example (test/cases/orders): upcasting', () => {
  it('OrderPlaced v1 → v2: nested construction from an earlier field, a new optional field', async () => {
    const [avro, up] = [await load('orders/avro.js'), await load('orders/upcasters.js')];
    const v1 = stored(avro, 'orderPlacedV1Codec', { customerId: 'c-7', items: [item], amount: '19.98' });
    const want = { customerId: 'c-7', items: [item], total: { amount: '19.98', currency: 'USD' }, shippingAddress: null };
    expect(fn(up, 'upcastOrderPlacedV1ToV2')(v1)).toEqual(want);
    expect(fn(up, 'upcastOrderPlaced')(1, v1)).toEqual(want);
    expect(codec(avro, 'orderPlacedV2Codec').isValid(want)).toBe(true);
    // The latest version passes through unchanged.
    expect(fn(up, 'upcastOrderPlaced')(2, want)).toBe(want);
    expect(fn(up, 'upcastOrderEvent')({ type: 'com.example.orders.order.placed', dataVersion: 1, data: v1 })).toEqual({
      type: 'com.example.orders.order.placed',
      data: want,
    });
  });

  it('PaymentCaptured v1 → v2: a constant, defaults, an implicit null', async () => {
    const [avro, up] = [await load('orders/avro.js'), await load('orders/upcasters.js')];
    const v1 = stored(avro, 'paymentCapturedV1Codec', { orderId, amount: { amount: '5.00', currency: 'USD' } });
    expect(fn(up, 'upcastPaymentCaptured')(1, v1)).toEqual({
      orderId,
      amount: { amount: '5.00', currency: 'USD' },
      method: 'unknown',
      capturedAt: 0n,
      pspReference: null,
    });
  });

  it('PaymentDeclined v1 → v2: the custom step of the example, through the generated chain', async () => {
    const [avro, up] = [await load('orders/avro.js'), await load('orders/upcasters.js')];
    const known = stored(avro, 'paymentDeclinedV1Codec', { orderId, reason: 'card_expired: Card expired 01/24', metadata: { psp: 'x' } });
    expect(fn(up, 'upcastPaymentDeclined')(1, known)).toEqual({ orderId, code: 'cardExpired', message: 'Card expired 01/24', metadata: { psp: 'x' } });
    const other = stored(avro, 'paymentDeclinedV1Codec', { orderId, reason: 'Do not honour', metadata: {} });
    const event = fn(up, 'upcastPaymentEvent')({ type: 'com.example.orders.payment.declined', dataVersion: 1, data: other });
    expect(event).toEqual({ type: 'com.example.orders.payment.declined', data: { orderId, code: 'other', message: 'Do not honour', metadata: {} } });
    expect(codec(avro, 'paymentDeclinedV2Codec').isValid((event as { data: unknown }).data)).toBe(true);
  });

  it('refuses what the types rule out: an unknown version or event type', async () => {
    const up = await load('orders/upcasters.js');
    expect(() => fn(up, 'upcastOrderPlaced')(3, {})).toThrow(new RangeError('OrderPlaced has no version 3'));
    expect(() => fn(up, 'upcastOrderPlaced')('toString', {})).toThrow(RangeError);
    expect(() => fn(up, 'upcastOrderEvent')({ type: 'com.example.orders.order.shipped', dataVersion: 1, data: {} })).toThrow(
      new TypeError('upcastOrderEvent: unknown event type com.example.orders.order.shipped'),
    );
  });
});

describe('the example (test/cases/orders): reducers', () => {
  it('Order: placed then confirmed, from the initial state, which stays unchanged', async () => {
    const r = await load('orders/reducers.js');
    const initial = r['initialOrderState'];
    const before = structuredClone(initial);
    const total = { amount: '19.98', currency: 'USD' };
    const placed = { type: 'com.example.orders.order.placed', data: { customerId: 'c-7', items: [item], total, shippingAddress: null } };
    const confirmed = { type: 'com.example.orders.order.confirmed', data: { confirmedAt: new Date(0) } };
    const state = fn(r, 'evolveOrderAll')(initial, [placed, confirmed]);
    expect(state).toEqual({
      status: 'confirmed',
      customerId: 'c-7',
      items: [item],
      total,
      shippingAddress: null,
      cancellationReason: null,
      revision: 2,
    });
    expect(initial).toEqual(before);
    const cancelled = fn(r, 'evolveOrder')(state, { type: 'com.example.orders.order.cancelled', data: { reason: 'changed mind', cancelledAt: new Date(0) } });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancellationReason: 'changed mind', revision: 3 });
  });

  it('Inventory: a long increment and the example custom handlers on the reservations map', async () => {
    const r = await load('orders/reducers.js');
    const a = '11111111-1111-4111-8111-111111111111';
    const events = [
      { type: 'com.example.orders.inventory.stockadded', data: { quantity: 10n } },
      { type: 'com.example.orders.inventory.stockreserved', data: { orderId: a, quantity: 3 } },
      { type: 'com.example.orders.inventory.stockreservationfailed', data: { orderId: a, requested: 99, available: 7n } },
      { type: 'com.example.orders.inventory.stockreleased', data: { orderId: a, quantity: 2 } },
    ];
    const state = fn(r, 'evolveInventoryAll')(r['initialInventoryState'], events);
    expect(state).toEqual({ available: 9n, reservations: { [a]: 1 } });
    const released = fn(r, 'evolveInventory')(state, { type: 'com.example.orders.inventory.stockreleased', data: { orderId: a, quantity: 5 } });
    expect(released).toEqual({ available: 10n, reservations: {} });
    expect(r['initialInventoryState']).toEqual({ available: 0n, reservations: {} });
  });

  it('Payment: enum copies and int increments', async () => {
    const r = await load('orders/reducers.js');
    const amount = { amount: '5.00', currency: 'USD' };
    const state = fn(r, 'evolvePaymentAll')(r['initialPaymentState'], [
      { type: 'com.example.orders.payment.declined', data: { orderId, code: 'other', message: '', metadata: {} } },
      { type: 'com.example.orders.payment.captured', data: { orderId, amount, method: 'card', capturedAt: 1n, pspReference: null } },
    ]);
    expect(state).toEqual({ status: 'captured', amount, method: 'card', attempts: 2 });
  });

  it('refuses an unknown event type', async () => {
    const r = await load('orders/reducers.js');
    expect(() => fn(r, 'evolveOrder')(r['initialOrderState'], { type: 'x', data: {} })).toThrow(new TypeError('evolveOrder: unknown event type x'));
  });
});

describe('every declarative form (test/cases/evolution)', () => {
  const v1 = {
    holder: 'Ada',
    deposit: 2147483647,
    price: { amount: '12.50', currency: 'EUR' },
    ratio: 0.5,
    memberId: '6F1C7A2E-0B1D-4C7E-9A51-2D3C4B5A6F70',
  };
  const since = new Date('2024-01-31T12:00:00Z');

  it('v1 → v2: rename, int → long, float → double, uuid → string, default, constant, construction, nested read, int → long?', async () => {
    const [avro, up] = [await load('forms/avro.js'), await load('forms/upcasters.js')];
    const stored1 = stored(avro, 'accountOpenedV1Codec', v1);
    const v2 = fn(up, 'upcastAccountOpenedV1ToV2')(stored1);
    expect(v2).toEqual({
      owner: 'Ada',
      deposit: 2147483647n,
      price: { amount: '12.50', currency: 'EUR' },
      ratio: 0.5,
      memberId: '6F1C7A2E-0B1D-4C7E-9A51-2D3C4B5A6F70',
      channel: 'web',
      origin: 'legacy',
      party: { name: 'Ada', since },
      amount: '12.50',
      bonus: 2147483647n,
    });
    expect(codec(avro, 'accountOpenedV2Codec').isValid(v2)).toBe(true);
  });

  it('v1 → v3 through the chain, and v2 → v3; an optional new field is null', async () => {
    const [avro, up] = [await load('forms/avro.js'), await load('forms/upcasters.js')];
    const want = { owner: 'Ada', deposit: 2147483647n, amount: '12.50', party: { name: 'Ada', since }, channel: 'web', bonus: 2147483647n, note: null };
    const v3 = fn(up, 'upcastAccountOpened')(1, stored(avro, 'accountOpenedV1Codec', v1));
    expect(v3).toEqual(want);
    expect(codec(avro, 'accountOpenedV3Codec').isValid(v3)).toBe(true);
    const v2 = stored(avro, 'accountOpenedV2Codec', fn(up, 'upcastAccountOpenedV1ToV2')(v1));
    expect(fn(up, 'upcastAccountOpened')(2, v2)).toEqual(want);
    expect(fn(up, 'upcastAccountEvent')({ type: 'com.example.forms.account.opened', dataVersion: 1, data: v1 })).toEqual({
      type: 'com.example.forms.account.opened',
      data: want,
    });
  });

  it('apply: set, constants, decimal/long/double increments, appends of an element, a list and a literal list, a map literal', async () => {
    const [up, r] = [await load('forms/upcasters.js'), await load('forms/reducers.js')];
    const opened = { type: 'com.example.forms.account.opened', data: fn(up, 'upcastAccountOpened')(1, v1) };
    const deposited = { type: 'com.example.forms.account.deposited', data: { amount: '0.10', cents: 7, labels: ['a', 'b'], values: [9n] } };
    const deposited2 = { ...deposited, data: { ...deposited.data, amount: '0.20', labels: [], values: [] } };
    const noted = { type: 'com.example.forms.account.noted', data: { text: 'hi' } };
    const state = fn(r, 'evolveAccountAll')(r['initialAccountState'], [opened, deposited, deposited2, noted]);
    expect(state).toEqual({
      status: 'open',
      owner: 'Ada',
      balance: '12.80', // 12.50 + 0.10 + 0.20 exactly: no float on the way
      deposits: 2147483647n + 14n,
      score: 3,
      tags: ['web', 'a', 'b'],
      amounts: [1n, 2n, 9n],
      party: { name: 'Ada', since },
      limits: { daily: 100 },
    });
    const closed = fn(r, 'evolveAccount')(state, { type: 'com.example.forms.account.closed', data: {} });
    expect(closed).toEqual({ ...(state as object), status: 'closed', limits: {} });
    expect(r['initialAccountState']).toEqual({
      status: 'new',
      owner: null,
      balance: '0.00',
      deposits: 0n,
      score: 0,
      tags: [],
      amounts: [],
      party: null,
      limits: { daily: 100 },
    });
  });
});
