// The load driver: a client of the HTTP API that places N orders, some designed to fail, waits
// until every one reached a final state, and collects what the service says about each. It knows
// nothing of the service's insides; how an order fails is in the order itself (see rules.ts).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { PAYMENT_LIMIT } from './rules.js';
import { cents, formatCents } from './money.js';
import type { ServiceMetrics } from './service.js';

export type Design = 'confirmed' | 'out-of-stock' | 'payment-declined';

export interface DriverOptions {
  readonly baseUrl: string;
  readonly orders: number;
  /** Share of orders designed to fail, half out of stock and half with a declined payment. */
  readonly failureRate: number;
  /** Share of orders placed through the previous API (stored as OrderPlaced v1). */
  readonly legacyRate?: number;
  /** HTTP requests in flight. */
  readonly concurrency?: number;
  /**
   * Orders placed per second (open loop: order i is placed i / rate seconds after the first,
   * still at most `concurrency` at a time). Default: as fast as the service accepts them.
   */
  readonly rate?: number;
  /** Seeds the choice of products, quantities, prices and which orders fail. */
  readonly seed?: number;
  /** Deadline for every order to reach a final state, from the first request. */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
  /** Called when the placing starts and when the time of "all final" is taken (to measure between). */
  readonly onPhase?: (phase: 'placing' | 'settled') => void;
}

export interface PlannedOrder {
  readonly orderId: string;
  readonly design: Design;
  readonly legacy: boolean;
  readonly body: unknown;
}

export interface OrderOutcome {
  readonly orderId: string;
  readonly design: Design;
  readonly legacy: boolean;
  /** HTTP status of the placement (201, or 409 when a retry found it placed). */
  readonly placedStatus: number;
  readonly readModelStatus: string | null;
  readonly aggregateStatus: string | null;
  readonly aggregateVersion: number;
  readonly readModelEventsApplied: number | null;
  readonly sagaStatus: string | null;
  readonly cancellationReason: string | null;
  /** finishedAt − placedAt of the read model row: from placement to confirmation or cancellation. */
  readonly latencyMs: number | null;
}

export interface LoadReport {
  readonly options: Required<Omit<DriverOptions, 'log' | 'onPhase'>>;
  readonly planned: readonly PlannedOrder[];
  readonly outcomes: readonly OrderOutcome[];
  /** Orders not final when the deadline passed. */
  readonly unfinished: readonly string[];
  readonly placingMillis: number;
  /** From the first request until every order was final (or the deadline). */
  readonly settleMillis: number;
  /** When the pass that checks each order ended ("all final" as drivers before 2026-12-07 took it). */
  readonly checkedMillis: number;
  /** Once relay and consumers were idle (or the deadline passed). */
  readonly metrics: ServiceMetrics;
  readonly quiescent: boolean;
}

/** mulberry32: a small seeded PRNG, so a run can be repeated exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** How often the driver looks whether every order is final: a small share of the run's time. */
const POLL_MS = 50;

export const IN_STOCK_PRODUCTS: readonly string[] = Array.from({ length: 12 }, (_, i) => `sku-${100 + i}`);

/** The orders of a run: designs spread at random, exact counts. */
export function planOrders(options: Required<Omit<DriverOptions, 'log' | 'onPhase' | 'baseUrl' | 'concurrency' | 'rate' | 'timeoutMs'>>, runId: string): PlannedOrder[] {
  const random = prng(options.seed);
  const n = options.orders;
  const failing = Math.round(n * options.failureRate);
  const outOfStock = Math.ceil(failing / 2);
  const designs = shuffled<Design>(
    [...Array<Design>(n - failing).fill('confirmed'), ...Array<Design>(outOfStock).fill('out-of-stock'), ...Array<Design>(failing - outOfStock).fill('payment-declined')],
    random,
  );
  const legacyCount = Math.round(n * options.legacyRate);
  const legacy = shuffled([...Array<boolean>(legacyCount).fill(true), ...Array<boolean>(n - legacyCount).fill(false)], random);
  // Never stocked, and new in every run: out of stock whatever an earlier run did.
  const missing = [1, 2, 3].map((i) => `discontinued-${runId}-${i}`);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const limit = cents(PAYMENT_LIMIT);
  return designs.map((design, i) => {
    const quantity = 1 + Math.floor(random() * 3);
    // Normal prices keep the total under the payment limit; a declined order's are above it.
    const unitCents = design === 'payment-declined' ? limit + 1n + BigInt(Math.floor(random() * 50_000)) : BigInt(500 + Math.floor(random() * 14_500));
    const productId = design === 'out-of-stock' ? pick(missing) : pick(IN_STOCK_PRODUCTS);
    const orderId = randomUUID();
    const isLegacy = legacy[i] === true;
    const customerId = `customer-${1 + Math.floor(random() * 40)}`;
    const body = isLegacy
      ? { orderId, customerId, items: [{ productId, quantity, unitPrice: formatCents(unitCents) }] }
      : {
          orderId,
          customerId,
          items: [{ productId, quantity, unitPrice: { amount: formatCents(unitCents), currency: 'USD' } }],
          shippingAddress: { line1: `${1 + i} Example Street`, line2: null, city: 'Springfield', postalCode: `${10_000 + i}`, country: 'US' },
        };
    return { orderId, design, legacy: isLegacy, body };
  });
}

// node:http with kept-alive connections rather than fetch: the driver shares the machine with
// the service, the broker and the database, and fetch (undici) spent 0.5–1 ms more CPU per request
// (a local server, 16 in flight). Idle connections do not keep the process alive.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

async function request(url: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
  try {
    return await requestOnce(url, init);
  } catch (err) {
    // A kept-alive connection the server closed as we reused it: a GET can simply go again (a
    // POST is retried by its caller, which knows what a second try means).
    if ((init.method ?? 'GET') !== 'GET' || (err as { code?: unknown }).code !== 'ECONNRESET') throw err;
    return requestOnce(url, init);
  }
}

function requestOnce(url: string, init: { method?: string; body?: unknown }): Promise<{ status: number; body: unknown }> {
  const payload = init.body !== undefined ? JSON.stringify(init.body) : undefined;
  const headers: Record<string, string | number> = payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {};
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          // Not JSON (Prometheus text, for one): keep the text.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface OrderView {
  readonly readModel: { readonly status: string; readonly eventsApplied: number; readonly cancellationReason: string | null; readonly placedAt: string | null; readonly finishedAt: string | null } | null;
  readonly aggregate: { readonly version: number; readonly state: { readonly status: string } };
  readonly saga: { readonly status: string } | null;
}

const FINAL_ORDER = new Set(['confirmed', 'cancelled']);
const FINAL_SAGA = new Set(['completed', 'compensated']);

function isFinal(v: OrderView): boolean {
  return v.readModel !== null && FINAL_ORDER.has(v.readModel.status) && FINAL_ORDER.has(v.aggregate.state.status) && v.saga !== null && FINAL_SAGA.has(v.saga.status);
}

export async function fetchMetrics(baseUrl: string): Promise<ServiceMetrics> {
  const { status, body } = await request(`${baseUrl}/metrics?format=json`);
  if (status !== 200) throw new Error(`GET /metrics: HTTP ${status}`);
  return body as ServiceMetrics;
}

export function isQuiescent(m: ServiceMetrics): boolean {
  return m.relay.lag.rows === 0 && m.eventStore.outboxUnpublished === 0 && Object.values(m.consumers).every((c) => c.lag === 0);
}

export async function runLoad(driver: DriverOptions): Promise<LoadReport> {
  const options = {
    baseUrl: driver.baseUrl,
    orders: driver.orders,
    failureRate: driver.failureRate,
    legacyRate: driver.legacyRate ?? 0.1,
    concurrency: driver.concurrency ?? 16,
    rate: driver.rate ?? 0,
    seed: driver.seed ?? 42,
    timeoutMs: driver.timeoutMs ?? 120_000,
  };
  const log = driver.log ?? (() => undefined);
  const base = options.baseUrl;
  const planned = planOrders(options, randomUUID().slice(0, 8));

  // Stock for every order of this run, whatever earlier runs used up.
  await pooled(IN_STOCK_PRODUCTS, options.concurrency, async (productId) => {
    const r = await request(`${base}/products/${productId}/stock`, { method: 'POST', body: { quantity: options.orders * 3 + 10 } });
    if (r.status !== 200) throw new Error(`stocking ${productId}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  });

  const finishedSagas = async (): Promise<{ finished: number; open: number }> => {
    const r = await request(`${base}/sagas`);
    const c = (r.body as { PlaceOrder?: Readonly<Record<string, number>> }).PlaceOrder ?? {};
    return { finished: (c.completed ?? 0) + (c.compensated ?? 0), open: (c.running ?? 0) + (c.compensating ?? 0) };
  };
  // Orders confirmed or cancelled in the read model, one query.
  const finalOrders = async (): Promise<number> => {
    const r = await request(`${base}/orders`);
    if (r.status !== 200) throw new Error(`GET /orders: HTTP ${r.status}`);
    const c = (r.body as { byStatus?: Readonly<Record<string, number>> }).byStatus ?? {};
    return (c.confirmed ?? 0) + (c.cancelled ?? 0);
  };
  const finishedBefore = (await finishedSagas()).finished;
  const finalBefore = await finalOrders();

  driver.onPhase?.('placing');
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const placed = new Map<string, number>();
  await pooled(planned, options.concurrency, async (order, index) => {
    if (options.rate > 0) {
      const wait = started + (index * 1000) / options.rate - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const path = order.legacy ? '/v1/orders' : '/orders';
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await request(`${base}${path}`, { method: 'POST', body: order.body });
        // 409 after a retry: the first try placed it, its answer was lost.
        if (r.status === 201 || (r.status === 409 && attempt > 1)) {
          placed.set(order.orderId, r.status);
          return;
        }
        throw new Error(`POST ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      } catch (err) {
        if (attempt >= 3 || (err instanceof Error && err.message.startsWith('POST '))) throw err;
        await sleep(100 * attempt);
      }
    }
  });
  const placingMillis = Date.now() - started;
  log(`placed ${placed.size} orders in ${(placingMillis / 1000).toFixed(1)} s`);

  // First the cheap wait, two queries a round (often: the poll's period would otherwise show in
  // "all final after", up to a whole period): until as many sagas finished as were started here
  // and as many orders are final in the read model. An order's read model turns final with its
  // aggregate's last event, which comes after the saga's decision, so at that moment each order
  // was final in all three. The time is taken there: the per-order pass below checks every order
  // but costs the service ~1 s of its own work, which is the driver's, not the pipeline's.
  let settleMillis: number | undefined;
  for (;;) {
    const sagas = await finishedSagas();
    if (sagas.finished - finishedBefore >= placed.size && sagas.open === 0 && (await finalOrders()) - finalBefore >= placed.size) {
      settleMillis = Date.now() - started;
      driver.onPhase?.('settled');
      break;
    }
    if (Date.now() >= deadline) break;
    await sleep(POLL_MS);
  }
  // …then every order, until each is final in the aggregate, the saga and the read model. Should
  // one not be (another writer's orders counted above), the time is when this pass ends.
  const views = new Map<string, OrderView>();
  let pending = planned.filter((o) => placed.has(o.orderId)).map((o) => o.orderId);
  let lastLog = Date.now();
  let rounds = 0;
  while (pending.length > 0 && Date.now() < deadline) {
    const stillPending: string[] = [];
    await pooled(pending, options.concurrency, async (orderId) => {
      const r = await request(`${base}/orders/${orderId}`);
      if (r.status === 200) {
        const view = r.body as OrderView;
        views.set(orderId, view);
        if (isFinal(view)) return;
      }
      stillPending.push(orderId);
    });
    pending = stillPending;
    rounds++;
    if (pending.length > 0) {
      if (Date.now() - lastLog > 5_000) {
        log(`${planned.length - pending.length} of ${planned.length} orders final`);
        lastLog = Date.now();
      }
      await sleep(POLL_MS);
    }
  }
  if (settleMillis === undefined || rounds > 1 || pending.length > 0) {
    settleMillis = Date.now() - started;
    driver.onPhase?.('settled');
  }
  const checkedMillis = Date.now() - started;
  log(`${planned.length - pending.length} of ${planned.length} orders final after ${(settleMillis / 1000).toFixed(1)} s (each one checked after ${(checkedMillis / 1000).toFixed(1)} s)`);

  // Let the relay and every consumer catch up (the last events of the last orders).
  let metrics = await fetchMetrics(base);
  const quietDeadline = Math.max(deadline, Date.now() + 10_000);
  while (!isQuiescent(metrics) && Date.now() < quietDeadline) {
    await sleep(200);
    metrics = await fetchMetrics(base);
  }

  const outcomes = planned.map((o): OrderOutcome => {
    const v = views.get(o.orderId);
    const rm = v?.readModel ?? null;
    const latency = rm?.placedAt && rm.finishedAt ? Date.parse(rm.finishedAt) - Date.parse(rm.placedAt) : null;
    return {
      orderId: o.orderId,
      design: o.design,
      legacy: o.legacy,
      placedStatus: placed.get(o.orderId) ?? 0,
      readModelStatus: rm?.status ?? null,
      aggregateStatus: v?.aggregate.state.status ?? null,
      aggregateVersion: v?.aggregate.version ?? 0,
      readModelEventsApplied: rm?.eventsApplied ?? null,
      sagaStatus: v?.saga?.status ?? null,
      cancellationReason: rm?.cancellationReason ?? null,
      latencyMs: latency,
    };
  });
  return { options, planned, outcomes, unfinished: pending, placingMillis, settleMillis, checkedMillis, metrics, quiescent: isQuiescent(metrics) };
}
