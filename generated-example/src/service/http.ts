// The HTTP API, on node:http alone:
//
//   POST /orders                 place an order (OrderPlaced v2 through the generated repository)
//   POST /v1/orders              the previous API: `amount` instead of item prices' currency; stored
//                                as OrderPlaced v1, as old releases of the service wrote it
//   GET  /orders/:id             read model row, aggregate state and version, saga status
//   POST /products/:id/stock     stock arrives (StockAdded)
//   GET  /products/:id           a product's stock
//   GET  /sagas                  PlaceOrder sagas by status
//   GET  /health                 database and relay
//   GET  /metrics                Prometheus text (the OpenTelemetry Prometheus exporter: the runtime's
//                                metrics and the service's); JSON with ?format=json or Accept: application/json
//   GET  /traces/:orderId        the order's distributed trace (spans kept in memory; telemetry.ts)
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ConnectionPool,
  ConcurrencyError,
  appendToStream,
  makeEnvelope,
  newEventFor,
} from 'eventsmith/runtime';
import { orderPlacedV1Codec } from '../generated/orders/avro.js';
import { eventTopics } from '../generated/orders/kafka.js';
import type { InventoryRepository, OrderRepository, PaymentRepository } from '../generated/orders/repository.js';
import type { Address, OrderItem, OrderPlacedV1 } from '../generated/orders/types.js';
import { MAX_CENTS, formatCents, parseCents } from './money.js';
import { loadSummary, readModelStatuses } from './read-model.js';
import { decideRestock, orderTotal } from './rules.js';
import type { SagaWiring } from './saga-wiring.js';
import type { ServiceMetrics } from './service.js';
import type { ServiceTelemetry } from './telemetry.js';

export interface RouteContext {
  /** Absent: /metrics answers JSON only and /traces 404. */
  readonly telemetry: ServiceTelemetry | undefined;
  readonly pool: ConnectionPool;
  readonly orders: OrderRepository;
  readonly inventory: InventoryRepository;
  readonly payments: PaymentRepository;
  readonly saga: SagaWiring;
  metrics(): Promise<ServiceMetrics>;
  health(): Promise<{ readonly database: string; readonly relay: string }>;
  readonly log: (line: string) => void;
}

const SOURCE = 'urn:example:order-service';
const MAX_BODY = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PRODUCT_ID = /^[A-Za-z0-9._-]{1,64}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON with bigint as a decimal string and bytes as base64. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = toJson(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown, what: string, max = 200): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new HttpError(400, `${what} must be a non-empty string of at most ${max} characters`);
  return v;
}

function optionalText(v: unknown, what: string): string | null {
  return v === undefined || v === null ? null : text(v, what);
}

function amount(v: unknown, what: string): string {
  const cents = typeof v === 'string' ? parseCents(v) : undefined;
  if (cents === undefined || cents < 0n) throw new HttpError(400, `${what} must be decimal text with at most 2 fraction digits, e.g. "12.50"`);
  return formatCents(cents);
}

function parseItems(v: unknown, defaultCurrency: string | undefined): OrderItem[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 50) throw new HttpError(400, 'items must be an array of 1 to 50 items');
  return v.map((raw: unknown, i) => {
    if (!isRecord(raw)) throw new HttpError(400, `items[${i}] must be an object`);
    const productId = text(raw.productId, `items[${i}].productId`, 64);
    if (!PRODUCT_ID.test(productId)) throw new HttpError(400, `items[${i}].productId may hold letters, digits, '.', '_' and '-'`);
    const quantity = raw.quantity;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 10_000) throw new HttpError(400, `items[${i}].quantity must be an integer from 1 to 10000`);
    const price = raw.unitPrice;
    if (defaultCurrency !== undefined) return { productId, quantity, unitPrice: { amount: amount(price, `items[${i}].unitPrice`), currency: defaultCurrency } };
    if (!isRecord(price)) throw new HttpError(400, `items[${i}].unitPrice must be { amount, currency }`);
    const currency = price.currency === undefined ? 'USD' : text(price.currency, `items[${i}].unitPrice.currency`, 3);
    if (!/^[A-Z]{3}$/.test(currency)) throw new HttpError(400, `items[${i}].unitPrice.currency must be an ISO 4217 code`);
    return { productId, quantity, unitPrice: { amount: amount(price.amount, `items[${i}].unitPrice.amount`), currency } };
  });
}

function parseAddress(v: unknown): Address | null {
  if (v === undefined || v === null) return null;
  if (!isRecord(v)) throw new HttpError(400, 'shippingAddress must be an object');
  const country = text(v.country, 'shippingAddress.country', 2);
  if (!/^[A-Z]{2}$/.test(country)) throw new HttpError(400, 'shippingAddress.country must be an ISO 3166-1 alpha-2 code');
  return {
    line1: text(v.line1, 'shippingAddress.line1'),
    line2: optionalText(v.line2, 'shippingAddress.line2'),
    city: text(v.city, 'shippingAddress.city'),
    postalCode: text(v.postalCode, 'shippingAddress.postalCode', 20),
    country,
  };
}

interface OrderRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: OrderItem[];
  readonly shippingAddress: Address | null;
}

function parseOrder(body: unknown, legacy: boolean): OrderRequest {
  if (!isRecord(body)) throw new HttpError(400, 'body must be a JSON object');
  const orderId = body.orderId === undefined ? randomUUID() : text(body.orderId, 'orderId', 36).toLowerCase();
  if (!UUID.test(orderId)) throw new HttpError(400, 'orderId must be a UUID (clients choose it, so that a retry cannot place the order twice)');
  // The v1 API priced everything in the shop's currency, USD.
  const items = parseItems(body.items, legacy ? 'USD' : undefined);
  // A saga step sends one command to one aggregate, and an Inventory is one product.
  if (items.length !== 1) throw new HttpError(422, 'an order has one line: the PlaceOrder saga reserves the stock of one product');
  if (new Set(items.map((i) => i.unitPrice.currency)).size > 1) throw new HttpError(400, 'all items must be priced in one currency');
  const total = orderTotal(items);
  if ((parseCents(total.amount) ?? 0n) > MAX_CENTS) throw new HttpError(400, 'the total does not fit decimal(12,2)');
  return { orderId, customerId: text(body.customerId, 'customerId', 100), items, shippingAddress: legacy ? null : parseAddress(body.shippingAddress) };
}

async function placeOrder(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, legacy: boolean): Promise<void> {
  const order = parseOrder(await readJson(req), legacy);
  const correlationId = req.headers['x-request-id'];
  try {
    if (legacy) {
      // What an older release stored: version 1 of OrderPlaced. Consumers, the repository and the
      // rebuild read it through the generated v1 codec and upcaster.
      const data: OrderPlacedV1 = { customerId: order.customerId, items: order.items, amount: orderTotal(order.items).amount };
      const envelope = makeEnvelope({ type: 'com.example.orders.order.placed', dataversion: 1, source: SOURCE, subject: order.orderId, data });
      await appendToStream(ctx.pool, {
        streamType: 'Order',
        streamId: order.orderId,
        expectedVersion: 0,
        events: [newEventFor(envelope, orderPlacedV1Codec.toBinary(data), { topic: eventTopics.Order })],
      });
    } else {
      await ctx.orders.append(
        order.orderId,
        [{ type: 'com.example.orders.order.placed', data: { customerId: order.customerId, items: order.items, total: orderTotal(order.items), shippingAddress: order.shippingAddress } }],
        0,
        typeof correlationId === 'string' && correlationId !== '' ? { correlationId } : {},
      );
    }
  } catch (err) {
    if (err instanceof ConcurrencyError) throw new HttpError(409, `order ${order.orderId} exists already`);
    throw err;
  }
  res.setHeader('location', `/orders/${order.orderId}`);
  send(res, 201, { orderId: order.orderId, status: 'placed', total: orderTotal(order.items), schemaVersion: legacy ? 1 : 2 });
}

async function getOrder(ctx: RouteContext, res: ServerResponse, orderId: string): Promise<void> {
  if (!UUID.test(orderId)) throw new HttpError(404, 'no such order');
  const [readModel, aggregate, saga] = await Promise.all([loadSummary(ctx.pool, orderId), ctx.orders.load(orderId), ctx.saga.sagaStatus(orderId)]);
  if (aggregate.version === 0 && readModel === undefined) throw new HttpError(404, 'no such order');
  send(res, 200, { orderId, readModel: readModel ?? null, aggregate: { version: aggregate.version, state: aggregate.state }, saga });
}

async function addStock(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, productId: string): Promise<void> {
  const body = await readJson(req);
  const quantity = isRecord(body) ? body.quantity : undefined;
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1) throw new HttpError(400, 'quantity must be a positive integer');
  for (let attempt = 1; ; attempt++) {
    const { version } = await ctx.inventory.load(productId);
    try {
      const appended = await ctx.inventory.append(productId, decideRestock(BigInt(quantity)), version);
      const { state } = await ctx.inventory.load(productId);
      send(res, 200, { productId, available: state.available, version: appended.version });
      return;
    } catch (err) {
      // Stock may arrive while orders reserve it: decide again on the new version.
      if (!(err instanceof ConcurrencyError) || attempt >= 5) throw err;
    }
  }
}

async function getProduct(ctx: RouteContext, res: ServerResponse, productId: string): Promise<void> {
  const { state, version } = await ctx.inventory.load(productId);
  send(res, 200, { productId, version, available: state.available, reservations: Object.keys(state.reservations).length });
}

export async function handleRequest(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const parts = url.pathname.split('/').filter((p) => p !== '');
  try {
    // Traced as an HTTP instrumentation would: the append, and everything it leads to in the
    // relay, the consumers and the saga, is one trace under this request's span.
    const traced = <T>(route: string, work: () => Promise<T>): Promise<T> => (ctx.telemetry ? ctx.telemetry.inRequest(req, route, work) : work());
    if (method === 'POST' && url.pathname === '/orders') return await traced('/orders', () => placeOrder(ctx, req, res, false));
    if (method === 'POST' && url.pathname === '/v1/orders') return await traced('/v1/orders', () => placeOrder(ctx, req, res, true));
    if (method === 'GET' && parts.length === 2 && parts[0] === 'traces' && ctx.telemetry) return send(res, 200, { spans: ctx.telemetry.traceOf(decodeURIComponent(parts[1] ?? '')) });
    if (method === 'GET' && parts.length === 2 && parts[0] === 'orders') return await getOrder(ctx, res, decodeURIComponent(parts[1] ?? ''));
    if (parts.length === 3 && parts[0] === 'products' && parts[2] === 'stock' && method === 'POST') {
      const productId = decodeURIComponent(parts[1] ?? '');
      if (!PRODUCT_ID.test(productId)) throw new HttpError(404, 'no such product');
      return await addStock(ctx, req, res, productId);
    }
    if (method === 'GET' && parts.length === 2 && parts[0] === 'products') {
      const productId = decodeURIComponent(parts[1] ?? '');
      if (!PRODUCT_ID.test(productId)) throw new HttpError(404, 'no such product');
      return await getProduct(ctx, res, productId);
    }
    // Orders by status in the read model, one GROUP BY: what a poller asks while it waits.
    if (method === 'GET' && url.pathname === '/orders') return send(res, 200, await readModelStatuses(ctx.pool));
    if (method === 'GET' && url.pathname === '/sagas') return send(res, 200, { PlaceOrder: (await ctx.saga.report()).byStatus });
    if (method === 'GET' && url.pathname === '/health') {
      const checks = await ctx.health();
      return send(res, checks.database === 'ok' && checks.relay === 'ok' ? 200 : 503, { status: checks.database === 'ok' && checks.relay === 'ok' ? 'ok' : 'degraded', checks });
    }
    if (method === 'GET' && url.pathname === '/metrics') {
      if (url.searchParams.get('format') === 'json' || (req.headers.accept ?? '').includes('application/json') || !ctx.telemetry) return send(res, 200, await ctx.metrics());
      ctx.telemetry.metrics(req, res);
      return;
    }
    throw new HttpError(404, `no route for ${method} ${url.pathname}`);
  } catch (err) {
    if (err instanceof HttpError) return send(res, err.status, { error: err.message });
    throw err;
  }
}
