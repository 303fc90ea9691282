// STAND-IN for generated code. What `eventsmith generate` is to emit for the example's commands and
// its PlaceOrder saga once events/orders.yaml declares the commands (issue 6; contract in
// /tmp/notes/saga-contract.md): command types, Avro codecs and topics, the decoding table of the
// command consumers, the typed deciders (custom/deciders.ts) and the SagaDefinition the runtime's
// SagaEngine runs. Written by hand on `eventsmith/runtime` alone, in the shape the contract gives,
// so that the example runs the real saga engine today. When the generated layer lands, delete
// this file and import the same things from ../generated/orders/ in saga-wiring.ts.
//
// The commands as the spec would declare them:
//
//   Inventory (topic inventory.commands, key = product id):
//     ReserveStock  { orderId: uuid, quantity: int }   emits StockReserved | StockReservationFailed
//     ReleaseStock  { orderId: uuid }                  emits StockReleased
//   Payment (topic payments.commands, key = payment id = order id):
//     CapturePayment { orderId: uuid, amount: Money }  emits PaymentCaptured | PaymentDeclined
//     RefundPayment  { orderId: uuid }                 emits PaymentRefunded
//   Order (topic orders.commands, key = order id):
//     ConfirmOrder {}                                  emits OrderConfirmed
//     CancelOrder  { reason: string }                  emits OrderCancelled
//
//   sagas.PlaceOrder: startedBy Order.OrderPlaced, correlation aggregateId, timeout PT15M,
//     retry { maxAttempts: 3, backoff: PT1S };
//     reserveStock:   ReserveStock to $start.items[0].productId, data { orderId: $start.aggregateId,
//                     quantity: $start.items[0].quantity }, compensation ReleaseStock, timeout PT1M;
//     capturePayment: CapturePayment to $start.aggregateId, data { orderId: $start.aggregateId,
//                     amount: $start.total }, compensation RefundPayment, timeout PT2M;
//     onCompleted ConfirmOrder; onCompensated CancelOrder { reason: the failure }.
//
// One product per order: a step sends one command to one aggregate, and Inventory is one product.
import {
  type AvroCodec,
  type CloudEvent,
  type DataCodec,
  type Decide,
  type EventDecoding,
  type SagaCommand,
  type SagaDefinition,
  type SagaMessage,
  createCodec,
} from 'eventsmith/runtime';
import { eventTopics } from '../generated/orders/kafka.js';
import type { InventoryEventInput, OrderEventInput, PaymentEventInput } from '../generated/orders/repository.js';
import type { InventoryState, Money, OrderPlaced, OrderState, PaymentDeclined, PaymentState, StockReservationFailed } from '../generated/orders/types.js';
import { decideCapture, decideRefund, decideRelease, decideReservation } from './rules.js';

const NAMESPACE = 'com.example.orders';
const SOURCE = 'urn:example:order-service';

export const CommandTypes = {
  ReserveStock: 'com.example.orders.inventory.command.reserve-stock',
  ReleaseStock: 'com.example.orders.inventory.command.release-stock',
  CapturePayment: 'com.example.orders.payment.command.capture-payment',
  RefundPayment: 'com.example.orders.payment.command.refund-payment',
  ConfirmOrder: 'com.example.orders.order.command.confirm-order',
  CancelOrder: 'com.example.orders.order.command.cancel-order',
} as const;

export const commandTopics = {
  Order: `${eventTopics.Order}.commands`,
  Inventory: `${eventTopics.Inventory}.commands`,
  Payment: `${eventTopics.Payment}.commands`,
} as const;

export interface ReserveStock {
  readonly orderId: string;
  readonly quantity: number;
}
export interface ReleaseStock {
  readonly orderId: string;
}
export interface CapturePayment {
  readonly orderId: string;
  readonly amount: Money;
}
export interface RefundPayment {
  readonly orderId: string;
}
export type ConfirmOrder = Record<string, never>;
export interface CancelOrder {
  readonly reason: string;
}

/** Every command by CloudEvents type (latest version): what command handlers receive. */
export type DomainCommands = {
  [CommandTypes.ReserveStock]: ReserveStock;
  [CommandTypes.ReleaseStock]: ReleaseStock;
  [CommandTypes.CapturePayment]: CapturePayment;
  [CommandTypes.RefundPayment]: RefundPayment;
  [CommandTypes.ConfirmOrder]: ConfirmOrder;
  [CommandTypes.CancelOrder]: CancelOrder;
};

const uuid = { type: 'string', logicalType: 'uuid' } as const;
const money = {
  type: 'record',
  name: 'Money',
  fields: [
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'currency', type: 'string', default: 'USD' },
  ],
} as const;
const record = <D>(name: string, fields: readonly object[]): AvroCodec<D> => createCodec<D>({ type: 'record', name, namespace: NAMESPACE, fields: [...fields] });

export const commandCodecs: { readonly [T in keyof DomainCommands]: AvroCodec<DomainCommands[T]> } = {
  [CommandTypes.ReserveStock]: record<ReserveStock>('ReserveStock', [
    { name: 'orderId', type: uuid },
    { name: 'quantity', type: 'int' },
  ]),
  [CommandTypes.ReleaseStock]: record<ReleaseStock>('ReleaseStock', [{ name: 'orderId', type: uuid }]),
  [CommandTypes.CapturePayment]: record<CapturePayment>('CapturePayment', [
    { name: 'orderId', type: uuid },
    { name: 'amount', type: money },
  ]),
  [CommandTypes.RefundPayment]: record<RefundPayment>('RefundPayment', [{ name: 'orderId', type: uuid }]),
  [CommandTypes.ConfirmOrder]: record<ConfirmOrder>('ConfirmOrder', []),
  [CommandTypes.CancelOrder]: record<CancelOrder>('CancelOrder', [{ name: 'reason', type: 'string' }]),
};

/** How command consumers read commands: version 1 of each, nothing to upcast yet. */
export const commandDecoding: EventDecoding = {
  codec: (type, version): DataCodec | undefined => (version === 1 && Object.hasOwn(commandCodecs, type) ? commandCodecs[type as keyof DomainCommands] : undefined),
  upcast: (_type, _version, data) => data,
};

function command<T extends keyof DomainCommands>(type: T, aggregate: keyof typeof commandTopics, key: string, data: DomainCommands[T]): SagaCommand {
  const codec = commandCodecs[type] as AvroCodec<DomainCommands[T]>;
  return { type, topic: commandTopics[aggregate], key, aggregateType: aggregate, dataversion: 1, datacontenttype: 'application/avro', payload: codec.toBinary(data) };
}

// ---- deciders: custom/deciders.ts of the generated layer, delegating to rules.ts ----

export const deciders = {
  reserveStock: ((state, c) => decideReservation(state, c.orderId, c.quantity)) satisfies Decide<InventoryState, ReserveStock, InventoryEventInput>,
  releaseStock: ((state, c) => decideRelease(state, c.orderId)) satisfies Decide<InventoryState, ReleaseStock, InventoryEventInput>,
  capturePayment: ((state, c) => decideCapture(state, c.orderId, c.amount)) satisfies Decide<PaymentState, CapturePayment, PaymentEventInput>,
  refundPayment: ((state, c) => decideRefund(state, c.orderId)) satisfies Decide<PaymentState, RefundPayment, PaymentEventInput>,
  confirmOrder: ((state) =>
    state.status === 'placed' ? [{ type: 'com.example.orders.order.confirmed', data: { confirmedAt: new Date() } }] : []) satisfies Decide<OrderState, ConfirmOrder, OrderEventInput>,
  cancelOrder: ((state, c) =>
    state.status === 'placed' ? [{ type: 'com.example.orders.order.cancelled', data: { reason: c.reason, cancelledAt: new Date() } }] : []) satisfies Decide<
    OrderState,
    CancelOrder,
    OrderEventInput
  >,
};

// ---- the saga ----

export interface PlaceOrderContext {
  readonly orderId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly total: Money;
  /** Why the order is being cancelled, from the event that failed a step. */
  readonly failure: string | null;
}

function isContext(v: unknown): v is PlaceOrderContext {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.orderId === 'string' && typeof c.productId === 'string' && typeof c.quantity === 'number' && typeof c.total === 'object' && c.total !== null;
}

export const placeOrderSaga: SagaDefinition<PlaceOrderContext> = {
  name: 'PlaceOrder',
  source: SOURCE,
  startedBy: 'com.example.orders.order.placed',
  correlate: (start) => start.aggregateId,
  initialContext: (start: SagaMessage) => {
    // The consumer decoded and upcast it: OrderPlaced at its latest version, also when stored as v1.
    const data = start.data as OrderPlaced;
    const line = data.items[0];
    if (line === undefined) throw new TypeError(`order ${start.aggregateId} has no items`);
    return { orderId: start.aggregateId, productId: line.productId, quantity: line.quantity, total: data.total, failure: null };
  },
  recordStep: (ctx) => ctx,
  recordFailure: (ctx, _step, event) => {
    if (event.type === 'com.example.orders.inventory.stockreservationfailed') {
      const d = event.data as StockReservationFailed;
      return { ...ctx, failure: `out of stock: ${event.aggregateId} (requested ${d.requested}, available ${d.available})` };
    }
    if (event.type === 'com.example.orders.payment.declined') return { ...ctx, failure: `payment declined: ${(event.data as PaymentDeclined).code}` };
    return ctx;
  },
  encodeContext: (ctx) => ctx,
  decodeContext: (json) => {
    if (!isContext(json)) throw new TypeError('not a PlaceOrder context');
    return json;
  },
  steps: [
    {
      name: 'reserveStock',
      command: (ctx) => command(CommandTypes.ReserveStock, 'Inventory', ctx.productId, { orderId: ctx.orderId, quantity: ctx.quantity }),
      succeedsOn: ['com.example.orders.inventory.stockreserved'],
      failsOn: ['com.example.orders.inventory.stockreservationfailed'],
      compensation: (ctx) => command(CommandTypes.ReleaseStock, 'Inventory', ctx.productId, { orderId: ctx.orderId }),
      compensationSucceedsOn: ['com.example.orders.inventory.stockreleased'],
      timeoutMs: 60_000,
    },
    {
      name: 'capturePayment',
      command: (ctx) => command(CommandTypes.CapturePayment, 'Payment', ctx.orderId, { orderId: ctx.orderId, amount: ctx.total }),
      succeedsOn: ['com.example.orders.payment.captured'],
      failsOn: ['com.example.orders.payment.declined'],
      // Sent only when the capture timed out (its effect unknown); nothing captured, nothing to refund.
      compensation: (ctx) => command(CommandTypes.RefundPayment, 'Payment', ctx.orderId, { orderId: ctx.orderId }),
      timeoutMs: 120_000,
    },
  ],
  timeoutMs: 15 * 60_000,
  retry: { maxAttempts: 3, backoffMs: 1000 },
  onCompleted: (ctx) => command(CommandTypes.ConfirmOrder, 'Order', ctx.orderId, {}),
  onCompensated: (ctx, failure) => command(CommandTypes.CancelOrder, 'Order', ctx.orderId, { reason: ctx.failure ?? `${failure.step} ${failure.reason}` }),
};

/** A command as its handler receives it, for typing handlers in saga-wiring.ts. */
export type CommandEnvelope<T extends keyof DomainCommands> = CloudEvent<T, DomainCommands[T]>;
