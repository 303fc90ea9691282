// The business rules of the example shop, written as deciders: (state, request) → the events to
// append. They read only fields of generated-example/events/orders.yaml; the command deciders the
// user owns (eventsmith/orders/deciders.ts) call them, and each returns only the events its
// command `emits` (the generated `<Command>Emits` types):
//
//   ReserveStock   → decideReservation   (Inventory, one product)
//   ReleaseStock   → decideRelease       (Inventory; "nothing to undo" still answers)
//   CapturePayment → decideCapture       (Payment, id = the order id)
//   RefundPayment  → decideRefund        (Payment)
//
// How an order is made to fail, without any test switch in the data:
// - out of stock: it orders more of a product than that product's Inventory has `available`
//   (the load driver orders products it never stocked);
// - payment declined: its total is above PAYMENT_LIMIT, which the simulated payment provider
//   refuses with code `insufficientFunds`.
import type {
  CapturePaymentEmits,
  InventoryEvent,
  InventoryState,
  Money,
  OrderItem,
  PaymentState,
  RefundPaymentEmits,
  ReleaseStockEmits,
  ReserveStockEmits,
} from '../generated/orders/types.js';
import { cents, formatCents } from './money.js';

/** The simulated payment provider declines any capture above this amount. */
export const PAYMENT_LIMIT = '1000.00';

/** What `orderId` holds of this product; own keys only (an order id is never `constructor`, but still). */
export function reservedFor(state: InventoryState, orderId: string): number {
  return Object.hasOwn(state.reservations, orderId) ? (state.reservations[orderId] ?? 0) : 0;
}

/**
 * Reserve `quantity` of one product for an order: StockReserved when that much is available,
 * else StockReservationFailed saying how much there was. Already reserved for this order: nothing
 * (a repeated command changes nothing).
 */
export function decideReservation(state: InventoryState, orderId: string, quantity: number): readonly ReserveStockEmits[] {
  if (reservedFor(state, orderId) >= quantity) return [];
  if (state.available >= BigInt(quantity)) {
    return [{ type: 'com.example.orders.inventory.stockreserved', data: { orderId, quantity } }];
  }
  return [{ type: 'com.example.orders.inventory.stockreservationfailed', data: { orderId, requested: quantity, available: state.available } }];
}

/**
 * Give back whatever the order holds of this product. Always answers, also when nothing is held
 * (the reservation timed out or never happened): a saga compensating waits for StockReleased.
 */
export function decideRelease(state: InventoryState, orderId: string): readonly ReleaseStockEmits[] {
  return [{ type: 'com.example.orders.inventory.stockreleased', data: { orderId, quantity: reservedFor(state, orderId) } }];
}

/** Stock arriving for a product. */
export function decideRestock(quantity: bigint): readonly InventoryEvent[] {
  return [{ type: 'com.example.orders.inventory.stockadded', data: { quantity } }];
}

/**
 * Capture an order's payment with the simulated provider: declined above PAYMENT_LIMIT, captured
 * otherwise. A payment already captured or declined is not decided again.
 */
export function decideCapture(state: PaymentState, orderId: string, amount: Money, now: Date = new Date()): readonly CapturePaymentEmits[] {
  if (state.status !== 'pending') return [];
  if (cents(amount.amount) > cents(PAYMENT_LIMIT)) {
    return [
      {
        type: 'com.example.orders.payment.declined',
        data: {
          orderId,
          code: 'insufficientFunds',
          message: `${amount.amount} ${amount.currency} is above the limit of ${PAYMENT_LIMIT}`,
          metadata: { limit: PAYMENT_LIMIT },
        },
      },
    ];
  }
  return [
    {
      type: 'com.example.orders.payment.captured',
      data: {
        orderId,
        amount,
        method: 'card',
        capturedAt: BigInt(now.getTime()) * 1000n,
        pspReference: `psp_${orderId.replaceAll('-', '').slice(0, 16)}`,
      },
    },
  ];
}

/** Refund a captured payment; anything else has nothing to refund. */
export function decideRefund(state: PaymentState, orderId: string): readonly RefundPaymentEmits[] {
  if (state.status !== 'captured' || state.amount === null) return [];
  return [{ type: 'com.example.orders.payment.refunded', data: { orderId, amount: state.amount, fingerprint: null } }];
}

/** The total of an order's items (one currency; the API refuses mixed ones). */
export function orderTotal(items: readonly OrderItem[]): Money {
  let sum = 0n;
  for (const item of items) sum += BigInt(item.quantity) * cents(item.unitPrice.amount);
  return { amount: formatCents(sum), currency: items[0]?.unitPrice.currency ?? 'USD' };
}

/** Quantities per product, products in sorted order (a stable lock order when several are touched). */
export function quantitiesByProduct(items: readonly OrderItem[]): ReadonlyMap<string, number> {
  const byProduct = new Map<string, number>();
  for (const item of items) byProduct.set(item.productId, (byProduct.get(item.productId) ?? 0) + item.quantity);
  return new Map([...byProduct].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
