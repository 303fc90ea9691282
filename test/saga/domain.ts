// A small shop domain for the saga tests, written by hand in the shape the generator emits:
// codecs per event and command version, repositories over createRepository, deciders per
// command, and a PlaceOrder SagaDefinition whose command builders encode with those codecs.
//
//   PlaceOrder: Order.OrderPlaced → reserveStock (Inventory) → capturePayment (Payment)
//               → arrangeShipment (Shipping) → Order.ConfirmOrder; on failure, compensations in
//               reverse, then Order.CancelOrder.
//
// Every aggregate but Order is keyed by the order id. OrderPlaced.scenario steers the deciders:
// fail-<service> answers with the failure event, silent-<service> never answers, release-fails
// makes ReleaseStock fail until the order is healed.
import {
  type AvroCodec,
  type CloudEvent,
  type ConnectionPool,
  type DataCodec,
  type Decide,
  type EventDecoding,
  type Repository,
  type SagaCommand,
  type SagaDefinition,
  type SagaMessage,
  commandHandler,
  createCodec,
  createRepository,
} from '../../generator/runtime/index.js';

export const SOURCE = 'urn:example:shop';
const NS = 'com.example.shop';

// ---- CloudEvents types ---------------------------------------------------------------------

export const T = {
  orderPlaced: `${NS}.order.placed`,
  orderConfirmed: `${NS}.order.confirmed`,
  orderCancelled: `${NS}.order.cancelled`,
  confirmOrder: `${NS}.order.command.confirm-order`,
  cancelOrder: `${NS}.order.command.cancel-order`,
  stockReserved: `${NS}.inventory.stockreserved`,
  stockReservationFailed: `${NS}.inventory.stockreservationfailed`,
  stockReleased: `${NS}.inventory.stockreleased`,
  stockReleaseFailed: `${NS}.inventory.stockreleasefailed`,
  reserveStock: `${NS}.inventory.command.reserve-stock`,
  releaseStock: `${NS}.inventory.command.release-stock`,
  paymentCaptured: `${NS}.payment.captured`,
  paymentDeclined: `${NS}.payment.declined`,
  paymentRefunded: `${NS}.payment.refunded`,
  capturePayment: `${NS}.payment.command.capture-payment`,
  refundPayment: `${NS}.payment.command.refund-payment`,
  shipmentArranged: `${NS}.shipping.shipmentarranged`,
  shipmentRefused: `${NS}.shipping.shipmentrefused`,
  shipmentCancelled: `${NS}.shipping.shipmentcancelled`,
  arrangeShipment: `${NS}.shipping.command.arrange-shipment`,
  cancelShipment: `${NS}.shipping.command.cancel-shipment`,
} as const;

// ---- data types and codecs (v1 of everything) -----------------------------------------------

export interface OrderPlaced { sku: string; quantity: number; amount: bigint; scenario: string }
export interface OrderConfirmed { shipmentId: string }
export interface OrderCancelled { reason: string }
export interface ConfirmOrder { shipmentId: string }
export interface CancelOrder { reason: string }
export interface StockReserved { quantity: number }
export interface Reason { reason: string }
export interface StockReleased { quantity: number }
export interface ReserveStock { sku: string; quantity: number; scenario: string }
export interface ReleaseStock { scenario: string }
export interface PaymentCaptured { amount: bigint; paymentId: string }
export interface PaymentRefunded { amount: bigint }
export interface CapturePayment { amount: bigint; scenario: string }
export interface RefundPayment { paymentId: string; scenario: string }
export interface ShipmentArranged { shipmentId: string }
export type Empty = Record<string, never>;
export interface ArrangeShipment { sku: string; quantity: number; scenario: string }

type Field = { name: string; type: string };
const record = <V>(name: string, fields: Field[]): AvroCodec<V> => createCodec<V>({ type: 'record', name, namespace: NS, fields });
const str = (name: string): Field => ({ name, type: 'string' });
const int = (name: string): Field => ({ name, type: 'int' });
const long = (name: string): Field => ({ name, type: 'long' });

export const codecs = {
  [T.orderPlaced]: record<OrderPlaced>('OrderPlaced', [str('sku'), int('quantity'), long('amount'), str('scenario')]),
  [T.orderConfirmed]: record<OrderConfirmed>('OrderConfirmed', [str('shipmentId')]),
  [T.orderCancelled]: record<OrderCancelled>('OrderCancelled', [str('reason')]),
  [T.confirmOrder]: record<ConfirmOrder>('ConfirmOrder', [str('shipmentId')]),
  [T.cancelOrder]: record<CancelOrder>('CancelOrder', [str('reason')]),
  [T.stockReserved]: record<StockReserved>('StockReserved', [int('quantity')]),
  [T.stockReservationFailed]: record<Reason>('StockReservationFailed', [str('reason')]),
  [T.stockReleased]: record<StockReleased>('StockReleased', [int('quantity')]),
  [T.stockReleaseFailed]: record<Reason>('StockReleaseFailed', [str('reason')]),
  [T.reserveStock]: record<ReserveStock>('ReserveStock', [str('sku'), int('quantity'), str('scenario')]),
  [T.releaseStock]: record<ReleaseStock>('ReleaseStock', [str('scenario')]),
  [T.paymentCaptured]: record<PaymentCaptured>('PaymentCaptured', [long('amount'), str('paymentId')]),
  [T.paymentDeclined]: record<Reason>('PaymentDeclined', [str('reason')]),
  [T.paymentRefunded]: record<PaymentRefunded>('PaymentRefunded', [long('amount')]),
  [T.capturePayment]: record<CapturePayment>('CapturePayment', [long('amount'), str('scenario')]),
  [T.refundPayment]: record<RefundPayment>('RefundPayment', [str('paymentId'), str('scenario')]),
  [T.shipmentArranged]: record<ShipmentArranged>('ShipmentArranged', [str('shipmentId')]),
  [T.shipmentRefused]: record<Reason>('ShipmentRefused', [str('reason')]),
  [T.shipmentCancelled]: record<Empty>('ShipmentCancelled', []),
  [T.arrangeShipment]: record<ArrangeShipment>('ArrangeShipment', [str('sku'), int('quantity'), str('scenario')]),
  [T.cancelShipment]: record<Empty>('CancelShipment', []),
} as const;

/** What consumers decode with: every type at v1, no upcasting. */
export const decoding: EventDecoding = {
  codec: (type, version): DataCodec | undefined => (version === 1 && Object.hasOwn(codecs, type) ? codecs[type as keyof typeof codecs] : undefined),
  upcast: (_type, _version, data) => data,
  latestVersion: () => 1,
};

export const EVENT_TYPES: readonly string[] = Object.values(T).filter((t) => !t.includes('.command.'));
export const COMMAND_TYPES: readonly string[] = Object.values(T).filter((t) => t.includes('.command.'));

// ---- topics -------------------------------------------------------------------------------

export interface ShopTopics {
  readonly orders: string;
  readonly inventory: string;
  readonly payments: string;
  readonly shipping: string;
  readonly ordersCommands: string;
  readonly inventoryCommands: string;
  readonly paymentsCommands: string;
  readonly shippingCommands: string;
}

export function shopTopics(prefix: string): ShopTopics {
  return {
    orders: `${prefix}.orders`,
    inventory: `${prefix}.inventory`,
    payments: `${prefix}.payments`,
    shipping: `${prefix}.shipping`,
    ordersCommands: `${prefix}.orders.commands`,
    inventoryCommands: `${prefix}.inventory.commands`,
    paymentsCommands: `${prefix}.payments.commands`,
    shippingCommands: `${prefix}.shipping.commands`,
  };
}

export const eventTopicsOf = (t: ShopTopics): string[] => [t.orders, t.inventory, t.payments, t.shipping];
export const commandTopicsOf = (t: ShopTopics): string[] => [t.ordersCommands, t.inventoryCommands, t.paymentsCommands, t.shippingCommands];

// ---- aggregates: state, reducers, repositories -----------------------------------------------

type Ev<K extends keyof typeof codecs> = { readonly type: K; readonly data: (typeof codecs)[K] extends AvroCodec<infer D> ? D : never };

export type OrderEvent = Ev<typeof T.orderPlaced> | Ev<typeof T.orderConfirmed> | Ev<typeof T.orderCancelled>;
export type InventoryEvent = Ev<typeof T.stockReserved> | Ev<typeof T.stockReservationFailed> | Ev<typeof T.stockReleased> | Ev<typeof T.stockReleaseFailed>;
export type PaymentEvent = Ev<typeof T.paymentCaptured> | Ev<typeof T.paymentDeclined> | Ev<typeof T.paymentRefunded>;
export type ShippingEvent = Ev<typeof T.shipmentArranged> | Ev<typeof T.shipmentRefused> | Ev<typeof T.shipmentCancelled>;

/** Counters rather than flags: a command applied twice shows. */
export interface OrderState { placed: number; confirmed: number; cancelled: number }
export interface InventoryState { reserved: number; reservations: number; releases: number; failedReleases: number }
export interface PaymentState { captured: bigint; captures: number; refunds: number }
export interface ShippingState { arranged: number; cancelled: number }

function evolveOrder(s: OrderState, e: OrderEvent): OrderState {
  switch (e.type) {
    case T.orderPlaced:
      return { ...s, placed: s.placed + 1 };
    case T.orderConfirmed:
      return { ...s, confirmed: s.confirmed + 1 };
    case T.orderCancelled:
      return { ...s, cancelled: s.cancelled + 1 };
  }
}

export function evolveInventory(s: InventoryState, e: InventoryEvent): InventoryState {
  switch (e.type) {
    case T.stockReserved:
      return { ...s, reserved: s.reserved + e.data.quantity, reservations: s.reservations + 1 };
    case T.stockReleased:
      return { ...s, reserved: s.reserved - e.data.quantity, releases: s.releases + 1 };
    case T.stockReleaseFailed:
      return { ...s, failedReleases: s.failedReleases + 1 };
    case T.stockReservationFailed:
      return s;
  }
}

function evolvePayment(s: PaymentState, e: PaymentEvent): PaymentState {
  switch (e.type) {
    case T.paymentCaptured:
      return { ...s, captured: s.captured + e.data.amount, captures: s.captures + 1 };
    case T.paymentRefunded:
      return { ...s, captured: s.captured - e.data.amount, refunds: s.refunds + 1 };
    case T.paymentDeclined:
      return s;
  }
}

function evolveShipping(s: ShippingState, e: ShippingEvent): ShippingState {
  switch (e.type) {
    case T.shipmentArranged:
      return { ...s, arranged: s.arranged + 1 };
    case T.shipmentCancelled:
      return { ...s, cancelled: s.cancelled + 1 };
    case T.shipmentRefused:
      return s;
  }
}

const pick = <K extends keyof typeof codecs>(...types: K[]): { [P in K]: { 1: (typeof codecs)[P] } } =>
  Object.fromEntries(types.map((t) => [t, { 1: codecs[t] }])) as { [P in K]: { 1: (typeof codecs)[P] } };

export interface ShopRepositories {
  readonly order: Repository<string, OrderState, OrderEvent>;
  readonly inventory: Repository<string, InventoryState, InventoryEvent>;
  readonly payment: Repository<string, PaymentState, PaymentEvent>;
  readonly shipping: Repository<string, ShippingState, ShippingEvent>;
}

/** Avro schema of InventoryState, for snapshots (the record's fields in order, all ints). */
export const inventoryStateCodec = (fields: readonly string[] = ['reserved', 'reservations', 'releases', 'failedReleases']): AvroCodec<InventoryState> =>
  record<InventoryState>('InventoryState', fields.map(int));

/** `inventorySnapshotEvery`: Inventory snapshots every this many events (by default none, like the other aggregates). */
export function shopRepositories(pool: ConnectionPool, topics: ShopTopics, options: { readonly inventorySnapshotEvery?: number } = {}): ShopRepositories {
  const common = { source: SOURCE, encoding: 'avro' as const, streamId: (id: string) => id };
  const every = options.inventorySnapshotEvery;
  return {
    order: createRepository(pool, {
      ...common,
      streamType: 'Order',
      topic: topics.orders,
      codecs: pick(T.orderPlaced, T.orderConfirmed, T.orderCancelled),
      upcast: (e) => e as OrderEvent,
      initialState: { placed: 0, confirmed: 0, cancelled: 0 },
      evolve: evolveOrder,
    }),
    inventory: createRepository(pool, {
      ...common,
      streamType: 'Inventory',
      topic: topics.inventory,
      codecs: pick(T.stockReserved, T.stockReservationFailed, T.stockReleased, T.stockReleaseFailed),
      upcast: (e) => e as InventoryEvent,
      initialState: { reserved: 0, reservations: 0, releases: 0, failedReleases: 0 },
      evolve: evolveInventory,
      ...(every !== undefined ? { snapshotEvery: every, stateCodec: inventoryStateCodec() } : {}),
    }),
    payment: createRepository(pool, {
      ...common,
      streamType: 'Payment',
      topic: topics.payments,
      codecs: pick(T.paymentCaptured, T.paymentDeclined, T.paymentRefunded),
      upcast: (e) => e as PaymentEvent,
      initialState: { captured: 0n, captures: 0, refunds: 0 },
      evolve: evolvePayment,
    }),
    shipping: createRepository(pool, {
      ...common,
      streamType: 'Shipping',
      topic: topics.shipping,
      codecs: pick(T.shipmentArranged, T.shipmentRefused, T.shipmentCancelled),
      upcast: (e) => e as ShippingEvent,
      initialState: { arranged: 0, cancelled: 0 },
      evolve: evolveShipping,
    }),
  };
}

// ---- deciders (the user-owned custom/deciders.ts of a generated domain) -----------------------

export interface DeciderSwitches {
  /** Orders whose ReleaseStock succeeds although their scenario is release-fails (the "fix"). */
  readonly healed?: (orderId: string) => boolean;
}

/** A scenario is one or more flags joined by `+`, e.g. `fail-payment+release-fails`. */
export const has = (scenario: string, flag: string): boolean => scenario.split('+').includes(flag);

export function shopDeciders(switches: DeciderSwitches = {}) {
  const reserveStock: Decide<InventoryState, ReserveStock, InventoryEvent> = (_s, c) => {
    if (has(c.scenario, 'fail-stock')) return [{ type: T.stockReservationFailed, data: { reason: `no ${c.sku} left` } }];
    if (has(c.scenario, 'silent-stock')) return [];
    return [{ type: T.stockReserved, data: { quantity: c.quantity } }];
  };
  const releaseStock: Decide<InventoryState, ReleaseStock, InventoryEvent> = (s, c, meta) => {
    if (has(c.scenario, 'release-fails') && !(switches.healed?.(meta.aggregateId) ?? false)) {
      return [{ type: T.stockReleaseFailed, data: { reason: 'warehouse offline' } }];
    }
    // Nothing reserved (the reservation timed out, or never happened): nothing to undo, still an answer.
    return [{ type: T.stockReleased, data: { quantity: s.reserved } }];
  };
  const capturePayment: Decide<PaymentState, CapturePayment, PaymentEvent> = (_s, c, meta) => {
    if (has(c.scenario, 'fail-payment')) return [{ type: T.paymentDeclined, data: { reason: 'card declined' } }];
    if (has(c.scenario, 'silent-payment')) return [];
    return [{ type: T.paymentCaptured, data: { amount: c.amount, paymentId: `pay-${meta.aggregateId}` } }];
  };
  const refundPayment: Decide<PaymentState, RefundPayment, PaymentEvent> = (s, c) =>
    has(c.scenario, 'silent-refund') ? [] : [{ type: T.paymentRefunded, data: { amount: s.captured } }];
  const arrangeShipment: Decide<ShippingState, ArrangeShipment, ShippingEvent> = (_s, c, meta) => {
    if (has(c.scenario, 'fail-shipping')) return [{ type: T.shipmentRefused, data: { reason: 'address unknown' } }];
    if (has(c.scenario, 'silent-shipping')) return [];
    return [{ type: T.shipmentArranged, data: { shipmentId: `ship-${meta.aggregateId}` } }];
  };
  const cancelShipment: Decide<ShippingState, Empty, ShippingEvent> = () => [{ type: T.shipmentCancelled, data: {} }];
  const confirmOrder: Decide<OrderState, ConfirmOrder, OrderEvent> = (_s, c) => [{ type: T.orderConfirmed, data: { shipmentId: c.shipmentId } }];
  const cancelOrder: Decide<OrderState, CancelOrder, OrderEvent> = (_s, c) => [{ type: T.orderCancelled, data: { reason: c.reason } }];
  return { reserveStock, releaseStock, capturePayment, refundPayment, arrangeShipment, cancelShipment, confirmOrder, cancelOrder };
}

type AnyCommandHandler = (command: CloudEvent<string, unknown>, context: Parameters<ReturnType<typeof commandHandler>>[1]) => Promise<void>;

/** The command consumers' handlers by command type (the generated typed layer over commandHandler). */
export function commandHandlers(repos: ShopRepositories, switches: DeciderSwitches = {}): Record<string, AnyCommandHandler> {
  const d = shopDeciders(switches);
  const h = {
    [T.reserveStock]: commandHandler(repos.inventory, d.reserveStock),
    [T.releaseStock]: commandHandler(repos.inventory, d.releaseStock),
    [T.capturePayment]: commandHandler(repos.payment, d.capturePayment),
    [T.refundPayment]: commandHandler(repos.payment, d.refundPayment),
    [T.arrangeShipment]: commandHandler(repos.shipping, d.arrangeShipment),
    [T.cancelShipment]: commandHandler(repos.shipping, d.cancelShipment),
    [T.confirmOrder]: commandHandler(repos.order, d.confirmOrder),
    [T.cancelOrder]: commandHandler(repos.order, d.cancelOrder),
  };
  // The decoder hands each handler its own command type's data.
  return h as unknown as Record<string, AnyCommandHandler>;
}

// ---- the saga ---------------------------------------------------------------------------

export interface PlaceOrderContext {
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly amount: bigint;
  readonly scenario: string;
  readonly paymentId: string | null;
  readonly shipmentId: string | null;
  readonly failure: string | null;
}

function command<K extends keyof typeof codecs>(
  type: K,
  topic: string,
  aggregateType: string,
  key: string,
  data: (typeof codecs)[K] extends AvroCodec<infer D> ? D : never,
): SagaCommand {
  const codec = codecs[type] as AvroCodec<typeof data>;
  return { type, topic, key, aggregateType, dataversion: 1, datacontenttype: 'application/avro', payload: codec.toBinary(data) };
}

export interface SagaTimings {
  readonly stepTimeoutMs?: number;
  readonly sagaTimeoutMs?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
}

export function placeOrderSaga(topics: ShopTopics, timings: SagaTimings = {}): SagaDefinition<PlaceOrderContext> {
  const stepTimeout = timings.stepTimeoutMs !== undefined ? { timeoutMs: timings.stepTimeoutMs } : {};
  return {
    name: 'PlaceOrder',
    source: SOURCE,
    startedBy: T.orderPlaced,
    correlate: (start) => start.aggregateId,
    initialContext: (start: SagaMessage) => {
      const d = start.data as OrderPlaced;
      return { orderId: start.aggregateId, sku: d.sku, quantity: d.quantity, amount: d.amount, scenario: d.scenario, paymentId: null, shipmentId: null, failure: null };
    },
    recordStep: (ctx, step, event) => {
      if (step === 'capturePayment') return { ...ctx, paymentId: (event.data as PaymentCaptured).paymentId };
      if (step === 'arrangeShipment') return { ...ctx, shipmentId: (event.data as ShipmentArranged).shipmentId };
      return ctx;
    },
    recordFailure: (ctx, _step, event) => ({ ...ctx, failure: (event.data as Reason).reason }),
    encodeContext: (ctx) => ({ ...ctx, amount: ctx.amount.toString() }),
    decodeContext: (json) => {
      const j = json as Omit<PlaceOrderContext, 'amount'> & { amount: string };
      return { ...j, amount: BigInt(j.amount) };
    },
    steps: [
      {
        name: 'reserveStock',
        command: (ctx) => command(T.reserveStock, topics.inventoryCommands, 'Inventory', ctx.orderId, { sku: ctx.sku, quantity: ctx.quantity, scenario: ctx.scenario }),
        succeedsOn: [T.stockReserved],
        failsOn: [T.stockReservationFailed],
        compensation: (ctx) => command(T.releaseStock, topics.inventoryCommands, 'Inventory', ctx.orderId, { scenario: ctx.scenario }),
        compensationSucceedsOn: [T.stockReleased],
        compensationFailsOn: [T.stockReleaseFailed],
        ...stepTimeout,
      },
      {
        name: 'capturePayment',
        command: (ctx) => command(T.capturePayment, topics.paymentsCommands, 'Payment', ctx.orderId, { amount: ctx.amount, scenario: ctx.scenario }),
        succeedsOn: [T.paymentCaptured],
        failsOn: [T.paymentDeclined],
        compensation: (ctx) => command(T.refundPayment, topics.paymentsCommands, 'Payment', ctx.orderId, { paymentId: ctx.paymentId ?? '', scenario: ctx.scenario }),
        compensationSucceedsOn: [T.paymentRefunded],
        ...stepTimeout,
      },
      {
        name: 'arrangeShipment',
        command: (ctx) => command(T.arrangeShipment, topics.shippingCommands, 'Shipping', ctx.orderId, { sku: ctx.sku, quantity: ctx.quantity, scenario: ctx.scenario }),
        succeedsOn: [T.shipmentArranged],
        failsOn: [T.shipmentRefused],
        compensation: (ctx) => command(T.cancelShipment, topics.shippingCommands, 'Shipping', ctx.orderId, {}),
        compensationSucceedsOn: [T.shipmentCancelled],
        ...stepTimeout,
      },
    ],
    ...(timings.sagaTimeoutMs !== undefined ? { timeoutMs: timings.sagaTimeoutMs } : {}),
    retry: { maxAttempts: timings.maxAttempts ?? 3, backoffMs: timings.backoffMs ?? 1000 },
    onCompleted: (ctx) => command(T.confirmOrder, topics.ordersCommands, 'Order', ctx.orderId, { shipmentId: ctx.shipmentId ?? '' }),
    onCompensated: (ctx, failure) =>
      command(T.cancelOrder, topics.ordersCommands, 'Order', ctx.orderId, { reason: `${failure.step} ${failure.reason}${ctx.failure ? `: ${ctx.failure}` : ''}` }),
  };
}

/** Places an order: the OrderPlaced event (and its outbox row) that starts a PlaceOrder saga. */
export async function placeOrder(repos: ShopRepositories, orderId: string, scenario: string, amount = 12_345_678_901_234_567n): Promise<void> {
  await repos.order.append(orderId, [{ type: T.orderPlaced, data: { sku: 'sku-1', quantity: 2, amount, scenario } }], 0);
}

// ---- what a clean run of each scenario ends in -------------------------------------------

export type Scenario = 'ok' | 'fail-stock' | 'fail-payment' | 'fail-shipping' | 'silent-stock' | 'silent-payment' | 'silent-shipping';

export interface Expected {
  readonly status: 'completed' | 'compensated';
  /** Command types in order of first send. */
  readonly commands: readonly string[];
  /** Event types of each stream of the order id, by stream type. */
  readonly streams: Readonly<Record<string, readonly string[]>>;
}

const placedThen = (t: string): string[] => [T.orderPlaced, t];

export const EXPECTED: Record<Scenario, Expected> = {
  ok: {
    status: 'completed',
    commands: [T.reserveStock, T.capturePayment, T.arrangeShipment, T.confirmOrder],
    streams: { Inventory: [T.stockReserved], Order: placedThen(T.orderConfirmed), Payment: [T.paymentCaptured], Shipping: [T.shipmentArranged] },
  },
  'fail-stock': {
    status: 'compensated',
    commands: [T.reserveStock, T.cancelOrder],
    streams: { Inventory: [T.stockReservationFailed], Order: placedThen(T.orderCancelled) },
  },
  'fail-payment': {
    status: 'compensated',
    commands: [T.reserveStock, T.capturePayment, T.releaseStock, T.cancelOrder],
    streams: { Inventory: [T.stockReserved, T.stockReleased], Order: placedThen(T.orderCancelled), Payment: [T.paymentDeclined] },
  },
  'fail-shipping': {
    status: 'compensated',
    commands: [T.reserveStock, T.capturePayment, T.arrangeShipment, T.refundPayment, T.releaseStock, T.cancelOrder],
    streams: {
      Inventory: [T.stockReserved, T.stockReleased],
      Order: placedThen(T.orderCancelled),
      Payment: [T.paymentCaptured, T.paymentRefunded],
      Shipping: [T.shipmentRefused],
    },
  },
  'silent-stock': {
    status: 'compensated',
    commands: [T.reserveStock, T.releaseStock, T.cancelOrder],
    streams: { Inventory: [T.stockReleased], Order: placedThen(T.orderCancelled) },
  },
  'silent-payment': {
    status: 'compensated',
    commands: [T.reserveStock, T.capturePayment, T.refundPayment, T.releaseStock, T.cancelOrder],
    streams: { Inventory: [T.stockReserved, T.stockReleased], Order: placedThen(T.orderCancelled), Payment: [T.paymentRefunded] },
  },
  'silent-shipping': {
    status: 'compensated',
    commands: [T.reserveStock, T.capturePayment, T.arrangeShipment, T.cancelShipment, T.refundPayment, T.releaseStock, T.cancelOrder],
    streams: {
      Inventory: [T.stockReserved, T.stockReleased],
      Order: placedThen(T.orderCancelled),
      Payment: [T.paymentCaptured, T.paymentRefunded],
      Shipping: [T.shipmentCancelled],
    },
  },
};
