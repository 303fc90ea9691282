// The test service of the repository tests: nothing but generated code and the runtime. The
// example spec (test/cases/orders/input.yaml, identical to generated-example/events/orders.yaml)
// goes through the real pipeline into a scratch folder under test/tmp/, is transpiled to
// JavaScript importing the runtime from its source, and is imported. Types come from the
// committed example's generated types.ts (the same spec), so the tests are typed like a service.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OrderEvent, OrderId, OrderPlaced, OrderState, PaymentEvent, PaymentId, PaymentState } from '../../generated-example/src/generated/orders/types.js';
import type {
  AvroCodec,
  CloudEvent,
  ConnectionPool,
  EnvelopeMeta,
  EventInput,
  Repository,
  RepositoryOptions,
} from '../../generator/runtime/index.js';
import { exampleCustomFiles, generateJs, root, scratch } from '../emit/evolution-support.js';

export type OrderRepository = Repository<OrderId, OrderState, EventInput<OrderEvent>>;
export type PaymentRepository = Repository<PaymentId, PaymentState, EventInput<PaymentEvent>>;
export type RepositoryFactory<R> = (pool: ConnectionPool, options?: RepositoryOptions) => R;

export interface OrdersService {
  readonly dir: string;
  readonly orderRepository: RepositoryFactory<OrderRepository>;
  readonly paymentRepository: RepositoryFactory<PaymentRepository>;
  /** `orderPlaced(aggregateId, data, meta)` of envelopes.ts. */
  readonly orderPlaced: (aggregateId: OrderId, data: OrderPlaced, meta?: EnvelopeMeta) => CloudEvent<'com.example.orders.order.placed', OrderPlaced, 2>;
  /** The generated Avro codecs by name (`orderPlacedV1Codec`), and the state codec (`orderStateCodec`). */
  codec(name: string): AvroCodec<unknown>;
  /** A module of the generated code, by path relative to the output folder (`orders/upcasters.js`). */
  module(rel: string): Promise<Record<string, unknown>>;
  remove(): void;
}

type Module = Record<string, unknown>;

export const orderSpec = (): string => readFileSync(path.join(root, 'test/cases/orders/input.yaml'), 'utf8');

export interface GeneratedModules {
  readonly dir: string;
  module(rel: string): Promise<Module>;
  remove(): void;
}

/** Any spec, generated into a fresh folder under test/tmp/ as JavaScript; `custom` fills user-owned files. */
export async function generateModules(prefix: string, spec: string, custom: ReadonlyMap<string, string> = new Map()): Promise<GeneratedModules> {
  const work = scratch(prefix);
  await generateJs(work.dir, 'spec.yaml', spec, custom);
  return {
    dir: work.dir,
    module: async (rel) => (await import(pathToFileURL(path.join(work.dir, rel)).href)) as Module,
    remove: work.remove,
  };
}

/** Export `name` of a generated module, checked to be a function or an object. */
export function member<T>(m: Module, name: string, kind: 'function' | 'object'): T {
  const v = m[name];
  if (typeof v !== kind || v === null) throw new Error(`generated code has no ${kind} ${name}`);
  // Checked to exist with the right kind; its type is the generated declaration's, mirrored by T.
  return v as T;
}

/** Generates `spec` (default: the example) into a fresh folder under test/tmp/ and imports it. */
export async function generateService(prefix: string, spec = orderSpec()): Promise<OrdersService> {
  const work = await generateModules(prefix, spec, exampleCustomFiles());
  const load = work.module;
  const repository = await load('orders/repository.js');
  const envelopes = await load('orders/envelopes.js');
  const avro = await load('orders/avro.js');
  return {
    dir: work.dir,
    orderRepository: member(repository, 'orderRepository', 'function'),
    paymentRepository: member(repository, 'paymentRepository', 'function'),
    orderPlaced: member(envelopes, 'orderPlaced', 'function'),
    codec: (name) => member(name.endsWith('StateCodec') ? repository : avro, name, 'object'),
    module: load,
    remove: work.remove,
  };
}

// ---- event data ------------------------------------------------------------------------

export const placedType = 'com.example.orders.order.placed';
export const confirmedType = 'com.example.orders.order.confirmed';
export const cancelledType = 'com.example.orders.order.cancelled';

export const item = { productId: 'p-1', quantity: 2, unitPrice: { amount: '9.99', currency: 'EUR' } };

export function placed(customerId = 'c-7', amount = '19.98'): OrderEvent {
  return { type: placedType, data: { customerId, items: [item], total: { amount, currency: 'EUR' }, shippingAddress: null } };
}

export function confirmed(at = new Date('2024-05-01T12:00:00.000Z')): OrderEvent {
  return { type: confirmedType, data: { confirmedAt: at } };
}

export function cancelled(reason = 'changed mind', at = new Date('2024-05-02T08:30:00.000Z')): OrderEvent {
  return { type: cancelledType, data: { reason, cancelledAt: at } };
}

/** Deterministic PRNG (mulberry32) so that a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random Order event: mostly placements (varied items and totals), some confirmations and cancellations. */
export function randomOrderEvent(random: () => number): OrderEvent {
  const pick = random();
  const cents = (n: number): string => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
  if (pick < 0.6) {
    const items = Array.from({ length: Math.floor(random() * 3) }, (_, i) => ({
      productId: `p-${Math.floor(random() * 1000)}`,
      quantity: 1 + i,
      unitPrice: { amount: cents(Math.floor(random() * 100_000)), currency: random() < 0.5 ? 'EUR' : 'USD' },
    }));
    const shippingAddress = random() < 0.5 ? null : { line1: 'Hauptstraße 1', line2: random() < 0.5 ? null : 'c/o 🚚', city: 'Köln', postalCode: '50667', country: 'DE' };
    return {
      type: placedType,
      data: { customerId: `c-${Math.floor(random() * 1e6)}`, items, total: { amount: cents(Math.floor(random() * 1e9)), currency: 'EUR' }, shippingAddress },
    };
  }
  if (pick < 0.8) return confirmed(new Date(Math.floor(random() * 2e12)));
  return cancelled(`reason ${Math.floor(random() * 1e6)}`, new Date(Math.floor(random() * 2e12)));
}

/** Fails instead of hanging if `promise` waits on a lock. */
export async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms (blocked on a lock?)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
