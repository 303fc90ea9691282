// Custom deciders of the `com.example.orders` domain: one per command its spec declares, each
// turning the command into the events it leads to.
//
// This file is yours. It lives outside the generated folder, so deleting or git-ignoring that
// folder never touches it. `eventsmith generate` created it and never rewrites your code. The
// generated ../../orders/deciders.ts imports each function below and re-checks its type, so a
// missing or mistyped one is a compile error, not a runtime surprise. A stub has no return
// statement: it does not compile until you implement it.
//
// When the spec later declares another command, generate adds its typed stub at the end of this
// file and the types it needs (from ../../orders/types.js and `CommandMeta` from
// eventsmith/runtime) to the imports, and changes nothing else. A function whose signature no
// longer matches the spec is reported with its line and column, never rewritten. Each one has this
// shape:
//
//   export function decide<Command>(state: <Aggregate>State, command: <Command>, meta: CommandMeta<<Aggregate>Id>): readonly <Command>Emits[] { … }

import type { CommandMeta } from 'eventsmith/runtime';
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
} from '../../orders/types.js';

// TODO: implement; until this returns the events, the project does not compile.
/**
 * Confirm a placed order once its stock is held and its payment captured.
 *
 * What `com.example.orders.order.command.confirm-order` leads to, given the Order state: any of
 * `OrderConfirmed` (the spec's `emits`), in the order they happen, or none. Must not mutate
 * `state`; read the time from `meta.now`.
 */
export function decideConfirmOrder(
  state: OrderState,
  command: ConfirmOrder,
  meta: CommandMeta<OrderId>,
): readonly ConfirmOrderEmits[] {
}

// TODO: implement; until this returns the events, the project does not compile.
/**
 * Cancel a placed order, saying why.
 *
 * What `com.example.orders.order.command.cancel-order` leads to, given the Order state: any of
 * `OrderCancelled` (the spec's `emits`), in the order they happen, or none. Must not mutate
 * `state`; read the time from `meta.now`.
 */
export function decideCancelOrder(
  state: OrderState,
  command: CancelOrder,
  meta: CommandMeta<OrderId>,
): readonly CancelOrderEmits[] {
}

// TODO: implement; until this returns the events, the project does not compile.
/**
 * Hold units of this product for an order.
 *
 * What `com.example.orders.inventory.command.reserve-stock` leads to, given the Inventory state:
 * any of `StockReserved`, `StockReservationFailed` (the spec's `emits`), in the order they happen,
 * or none. Must not mutate `state`; read the time from `meta.now`.
 */
export function decideReserveStock(
  state: InventoryState,
  command: ReserveStock,
  meta: CommandMeta<InventoryId>,
): readonly ReserveStockEmits[] {
}

// TODO: implement; until this returns the events, the project does not compile.
/**
 * Give back what an order holds of this product; an order holding nothing releases nothing.
 *
 * What `com.example.orders.inventory.command.release-stock` leads to, given the Inventory state:
 * any of `StockReleased` (the spec's `emits`), in the order they happen, or none. Must not mutate
 * `state`; read the time from `meta.now`.
 */
export function decideReleaseStock(
  state: InventoryState,
  command: ReleaseStock,
  meta: CommandMeta<InventoryId>,
): readonly ReleaseStockEmits[] {
}

// TODO: implement; until this returns the events, the project does not compile.
/**
 * Take the order's total from the customer.
 *
 * What `com.example.orders.payment.command.capture-payment` leads to, given the Payment state: any
 * of `PaymentCaptured`, `PaymentDeclined` (the spec's `emits`), in the order they happen, or none.
 * Must not mutate `state`; read the time from `meta.now`.
 */
export function decideCapturePayment(
  state: PaymentState,
  command: CapturePayment,
  meta: CommandMeta<PaymentId>,
): readonly CapturePaymentEmits[] {
}

// TODO: implement; until this returns the events, the project does not compile.
/**
 * Give back what was captured; a payment that captured nothing has nothing to refund.
 *
 * What `com.example.orders.payment.command.refund-payment` leads to, given the Payment state: any
 * of `PaymentRefunded` (the spec's `emits`), in the order they happen, or none. Must not mutate
 * `state`; read the time from `meta.now`.
 */
export function decideRefundPayment(
  state: PaymentState,
  command: RefundPayment,
  meta: CommandMeta<PaymentId>,
): readonly RefundPaymentEmits[] {
}
