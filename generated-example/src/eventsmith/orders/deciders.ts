// Custom deciders of the `com.example.orders` domain: one per command its spec declares, each
// turning the command into the events it leads to.
//
// This file is yours. It lives outside the generated folder, so deleting or git-ignoring that
// folder never touches it. `eventsmith generate` created it and never rewrites your code. The
// generated ../../generated/orders/deciders.ts imports each function below and re-checks its type,
// so a missing or mistyped one is a compile error, not a runtime surprise. A stub has no return
// statement: it does not compile until you implement it.
//
// When the spec later declares another command, generate adds its typed stub at the end of this
// file and the types it needs (from ../../generated/orders/types.js and `CommandMeta` from
// eventsmith/runtime) to the imports, and changes nothing else. A function whose signature no
// longer matches the spec is reported with its line and column, never rewritten. Each one has this
// shape:
//
//   export function decide<Command>(state: <Aggregate>State, command: <Command>, meta: CommandMeta<<Aggregate>Id>): readonly <Command>Emits[] { … }
//
// The example shop's rules live in the service (src/service/rules.ts); these deciders hand them
// the command's data and the time of `meta.now`, so each stays a pure function of its arguments.

import type { CommandMeta } from 'eventsmith/runtime';
import { decideCapture, decideRefund, decideRelease, decideReservation } from '../../service/rules.js';
import type {
  CancelOrder,
  CancelOrderEmits,
  CapturePayment,
  CapturePaymentEmits,
  ConfirmOrder,
  ConfirmOrderEmits,
  InventoryId,
  InventoryState,
  OrderId,
  OrderState,
  PaymentId,
  PaymentState,
  RefundPayment,
  RefundPaymentEmits,
  ReleaseStock,
  ReleaseStockEmits,
  ReserveStock,
  ReserveStockEmits,
} from '../../generated/orders/types.js';

/** A placed order is confirmed; an order in any other state stays as it is. */
export function decideConfirmOrder(state: OrderState, _command: ConfirmOrder, meta: CommandMeta<OrderId>): readonly ConfirmOrderEmits[] {
  return state.status === 'placed' ? [{ type: 'com.example.orders.order.confirmed', data: { confirmedAt: meta.now } }] : [];
}

/** A placed order is cancelled with the reason given; an order in any other state stays as it is. */
export function decideCancelOrder(state: OrderState, command: CancelOrder, meta: CommandMeta<OrderId>): readonly CancelOrderEmits[] {
  return state.status === 'placed' ? [{ type: 'com.example.orders.order.cancelled', data: { reason: command.reason, cancelledAt: meta.now } }] : [];
}

/** Units of this product held for the order when there are enough, else the reservation fails. */
export function decideReserveStock(state: InventoryState, command: ReserveStock, _meta: CommandMeta<InventoryId>): readonly ReserveStockEmits[] {
  return decideReservation(state, command.orderId, command.quantity);
}

/** What the order holds of this product goes back; it answers also when that is nothing. */
export function decideReleaseStock(state: InventoryState, command: ReleaseStock, _meta: CommandMeta<InventoryId>): readonly ReleaseStockEmits[] {
  return decideRelease(state, command.orderId);
}

/** Captured by the simulated payment provider, or declined above its limit. */
export function decideCapturePayment(state: PaymentState, command: CapturePayment, meta: CommandMeta<PaymentId>): readonly CapturePaymentEmits[] {
  return decideCapture(state, command.orderId, command.amount, meta.now);
}

/** What was captured is refunded; a payment that captured nothing has nothing to refund. */
export function decideRefundPayment(state: PaymentState, command: RefundPayment, _meta: CommandMeta<PaymentId>): readonly RefundPaymentEmits[] {
  return decideRefund(state, command.orderId);
}
