// The example shop's domain tested with its generated kit (generated-example/src/generated/orders/
// testing.ts), as a team would test theirs: the hand-written deciders given / when / then, the
// reducer fed a v1 OrderPlaced as stored before v2 existed, the upcaster, and the PlaceOrder saga
// in memory on the engine's state machine — its happy path, a failed step compensated, a timed-out
// step resent then compensated in reverse order, and a compensation nobody answers parked.
// No PostgreSQL, no Kafka. Runs on the built package (`eventsmith/testing` resolves to dist/).
import { describe, expect, it } from 'vitest';
import {
  inventoryDecider,
  orderDecider,
  orderReducer,
  orderUpcaster,
  placeOrderSagaKit,
} from '../../generated-example/src/generated/orders/testing.js';
import type { OrderPlaced, OrderPlacedV1 } from '../../generated-example/src/generated/orders/types.js';

const orderId = '6f1c1a52-2d55-4d0e-9a55-0b8f1b2a7c11';
const t = {
  placed: 'com.example.orders.order.placed',
  confirmed: 'com.example.orders.order.confirmed',
  stockAdded: 'com.example.orders.inventory.stockadded',
  reserved: 'com.example.orders.inventory.stockreserved',
  reservationFailed: 'com.example.orders.inventory.stockreservationfailed',
  released: 'com.example.orders.inventory.stockreleased',
  captured: 'com.example.orders.payment.captured',
  declined: 'com.example.orders.payment.declined',
  reserve: 'com.example.orders.inventory.command.reserve-stock',
  release: 'com.example.orders.inventory.command.release-stock',
  capture: 'com.example.orders.payment.command.capture-payment',
  refund: 'com.example.orders.payment.command.refund-payment',
  confirm: 'com.example.orders.order.command.confirm-order',
  cancel: 'com.example.orders.order.command.cancel-order',
} as const;

const item = { productId: 'sku-1', quantity: 2, unitPrice: { amount: '6.25', currency: 'USD' } };
const v1: OrderPlacedV1 = { customerId: 'c-1', items: [item], amount: '12.50' };
const placed: OrderPlaced = { customerId: 'c-1', items: [item], total: { amount: '12.50', currency: 'USD' }, shippingAddress: null };
const kitNow = new Date('2030-01-01T00:00:00.000Z');

describe('deciders', () => {
  it('reserves stock that is there, and says how much is missing otherwise', () => {
    inventoryDecider
      .given({ type: t.stockAdded, data: { quantity: 5n } })
      .when({ type: t.reserve, data: { orderId, quantity: 2 } })
      .then({ type: t.reserved, data: { orderId, quantity: 2 } });
    inventoryDecider
      .given({ type: t.stockAdded, data: { quantity: 1n } })
      .when({ type: t.reserve, data: { orderId, quantity: 2 } })
      .then({ type: t.reservationFailed, data: { orderId, requested: 2, available: 1n } });
  });

  it('confirms a placed order at meta.now, and a draft one not at all', () => {
    orderDecider.given({ type: t.placed, data: placed }).when({ type: t.confirm, data: {} }).then({ type: t.confirmed, data: { confirmedAt: kitNow } });
    orderDecider.given().when({ type: t.confirm, data: {} }).then();
  });

  it('thenThrows: a command type the decider does not know', () => {
    const bogus = { type: 'com.example.orders.order.command.bogus', data: {} } as unknown as Parameters<ReturnType<typeof orderDecider.given>['when']>[0];
    orderDecider.given().when(bogus).thenThrows(TypeError);
  });

  // Compile-time checks: `npm run typecheck` (part of `npm test`) fails if any line below compiles.
  // Never called: what matters is that each is a type error.
  function typeErrors(): void {
    const given = inventoryDecider.given({ type: t.stockAdded, data: { quantity: 5n } });
    const when = given.when({ type: t.reserve, data: { orderId, quantity: 2 } });
    // @ts-expect-error StockReserved has no field `amount`
    when.then({ type: t.reserved, data: { orderId, quantity: 2, amount: 1 } });
    // @ts-expect-error Order's confirmed event is not an Inventory event
    when.then({ type: t.confirmed, data: { confirmedAt: kitNow } });
    // @ts-expect-error quantity is an int (number), not a long (bigint)
    given.when({ type: t.reserve, data: { orderId, quantity: 2n } });
    // @ts-expect-error v1 has `amount`, not `total`
    orderReducer.given({ type: t.placed, dataVersion: 1, data: placed });
    // @ts-expect-error PlaceOrder never receives OrderConfirmed as an answer
    placeOrderSagaKit().reply(t.confirmed, { confirmedAt: kitNow });
    // @ts-expect-error PlaceOrder never sends ReserveStock with a `sku`
    placeOrderSagaKit().expectSent({ type: t.reserve, data: { sku: 'x' } });
  }
  it('is typed from the spec (the compile-time checks above are in the type-checked build)', () => {
    expect(typeof typeErrors).toBe('function');
  });

  it('a wrong expectation fails with a readable diff', () => {
    expect(() =>
      inventoryDecider
        .given({ type: t.stockAdded, data: { quantity: 5n } })
        .when({ type: t.reserve, data: { orderId, quantity: 2 } })
        .then({ type: t.reserved, data: { orderId, quantity: 3 } }),
    ).toThrow(/Inventory: .*the decided events differs \(- expected, \+ actual\):[\s\S]*- +quantity: 3,\n\+ +quantity: 2,/);
  });
});

describe('reducer and upcaster', () => {
  it('a v1 OrderPlaced, as stored before v2, is upcast as the repository upcasts it, then applied', () => {
    orderReducer
      .given({ type: t.placed, dataVersion: 1, data: v1 }, { type: t.confirmed, dataVersion: 1, data: { confirmedAt: kitNow } })
      .then({ status: 'confirmed', customerId: 'c-1', items: [item], total: { amount: '12.50', currency: 'USD' }, shippingAddress: null, cancellationReason: null, revision: 2 });
  });

  it('v1 → latest: the amount becomes a total in USD', () => {
    orderUpcaster.upcast({ type: t.placed, dataVersion: 1, data: v1 }).to({ type: t.placed, data: placed });
  });
});

describe('the PlaceOrder saga in memory', () => {
  const captured = { orderId, amount: placed.total, method: 'card', capturedAt: 1n, pspReference: null } as const;

  it('completes: stock reserved, payment captured, order confirmed', () => {
    placeOrderSagaKit()
      .start(placed, { aggregateId: orderId })
      .expectSent({ type: t.reserve, key: 'sku-1', data: { orderId, quantity: 2 } })
      .reply(t.reserved, { orderId, quantity: 2 })
      .expectSent({ type: t.capture, key: orderId, data: { orderId, amount: placed.total } })
      .reply(t.captured, captured)
      .expectSent({ type: t.confirm, key: orderId, data: {} })
      .expectStatus('completed', null);
  });

  it('a declined payment releases the stock, then cancels the order with the reason', () => {
    placeOrderSagaKit()
      .start(placed, { aggregateId: orderId })
      .reply(t.reserved, { orderId, quantity: 2 })
      .reply(t.declined, { orderId, code: 'insufficientFunds', message: '', metadata: {} })
      .expectSent({ type: t.reserve }, { type: t.capture }, { type: t.release, key: 'sku-1', data: { orderId } })
      .expectStatus('compensating', 'reserveStock')
      .reply(t.released, { orderId, quantity: 2 })
      .expectSent({ type: t.cancel, key: orderId, data: { reason: `payment declined: order ${orderId}` } })
      .expectStatus('compensated', null);
  });

  it('an unanswered capture is resent, then times out: compensations in reverse order', () => {
    const kit = placeOrderSagaKit().start(placed, { aggregateId: orderId }).reply(t.reserved, { orderId, quantity: 2 });
    kit.expectSent({ type: t.reserve }, { type: t.capture });
    // PT2M per send, 3 sends (retry.maxAttempts): two resends with the same command id, then the step times out.
    kit.advance(2 * 60_000).advance(2 * 60_000);
    kit.expectSent({ type: t.capture }, { type: t.capture });
    const captures = kit.sent.filter((c) => c.type === t.capture);
    expect(new Set(captures.map((c) => c.id)).size).toBe(1);
    expect(captures.map((c) => c.attempt)).toEqual([1, 2, 3]);
    kit.advance(2 * 60_000);
    // The timed-out capture first (its effect is unknown; not waited for), then the reservation.
    kit.expectSent({ type: t.refund, key: orderId, data: { orderId } }, { type: t.release, key: 'sku-1', data: { orderId } }).expectStatus('compensating', 'reserveStock');
    kit.reply(t.released, { orderId, quantity: 2 }).expectSent({ type: t.cancel, data: { reason: `payment declined (timed-out): order ${orderId}` } }).expectStatus('compensated', null);
    expect(kit.transitions).toEqual(['started', 'step-succeeded', 'step-resent', 'step-resent', 'step-timed-out', 'compensation-succeeded']);
  });

  it('as the README shows it: one advance() over three deadlines', () => {
    placeOrderSagaKit()
      .start(placed, { aggregateId: orderId })
      .expectSent({ type: t.reserve, key: 'sku-1', data: { orderId, quantity: 2 } })
      .reply(t.reserved, { orderId, quantity: 2 })
      .advance(3 * 2 * 60_000)
      .expectSent({ type: t.capture }, { type: t.capture }, { type: t.capture }, { type: t.refund }, { type: t.release })
      .expectStatus('compensating', 'reserveStock');
  });

  it('a compensation nobody answers is resent, then the saga parks; resume sends it again', () => {
    const kit = placeOrderSagaKit().start(placed, { aggregateId: orderId }).reply(t.reservationFailed, { orderId, requested: 2, available: 0n });
    // Nothing completed before the failed step: nothing to compensate, the order is cancelled at once.
    kit.expectSent({ type: t.reserve }, { type: t.cancel, data: { reason: `out of stock: order ${orderId}` } }).expectStatus('compensated', null);

    const stuck = placeOrderSagaKit().start(placed, { aggregateId: orderId });
    stuck.advance(60_000).advance(60_000).advance(60_000);
    stuck.expectSent({ type: t.reserve }, { type: t.reserve }, { type: t.reserve }, { type: t.release }).expectStatus('compensating', 'reserveStock');
    stuck.advance(60_000).advance(60_000).advance(60_000);
    stuck.expectSent({ type: t.release }, { type: t.release }).expectStatus('parked', 'reserveStock');
    stuck.resume().expectSent({ type: t.release }).expectStatus('compensating', 'reserveStock');
  });

  it('a late or unrelated answer changes nothing, and says why', () => {
    const kit = placeOrderSagaKit().start(placed, { aggregateId: orderId });
    kit.reply(t.reserved, { orderId, quantity: 2 }, { causationId: '00000000-0000-4000-8000-0000000000ff' });
    expect(kit.lastIgnored).toBe('late');
    kit.expectSent({ type: t.reserve }).expectStatus('running', 'reserveStock');
  });
});
