// The example's load driver against a stand-in for the order service's HTTP API (no PostgreSQL,
// no Kafka): what it places, and how fast. The stand-in answers every order as final at once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '../../generated-example/src/service/load-driver.js';

interface StandIn {
  readonly url: string;
  /** When each order was placed (ms since the epoch), by order id. */
  readonly placedAt: Map<string, number>;
  /** When the driver's last read of the totals before its first order was answered: it starts placing after this. */
  readonly placingAfter: () => number;
  close(): Promise<void>;
}

async function standIn(): Promise<StandIn> {
  const placedAt = new Map<string, number>();
  let placingAfter = 0;
  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      const n = placedAt.size;
      if (req.method === 'POST' && (url === '/orders' || url === '/v1/orders')) {
        placedAt.set((JSON.parse(text) as { orderId: string }).orderId, Date.now());
        json(res, 201, {});
      } else if (req.method === 'POST' && url.startsWith('/products/')) json(res, 200, {});
      else if (url === '/sagas') json(res, 200, { PlaceOrder: { completed: n } });
      else if (url === '/orders') {
        if (n === 0) placingAfter = Date.now();
        json(res, 200, { byStatus: { confirmed: n } });
      } else if (url.startsWith('/orders/')) {
        const at = new Date(placedAt.get(url.slice('/orders/'.length)) ?? 0).toISOString();
        json(res, 200, {
          readModel: { status: 'confirmed', eventsApplied: 2, cancellationReason: null, placedAt: at, finishedAt: at },
          aggregate: { version: 2, state: { status: 'confirmed' } },
          saga: { status: 'completed' },
        });
      } else if (url.startsWith('/metrics')) json(res, 200, { relay: { lag: { rows: 0 } }, eventStore: { outboxUnpublished: 0 }, consumers: {} });
      else json(res, 404, {});
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    placedAt,
    placingAfter: () => placingAfter,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let service: StandIn | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

describe('the load driver', () => {
  it('with a rate, places order i no earlier than i / rate seconds after the first (open loop)', async () => {
    service = await standIn();
    const rate = 50;
    const report = await runLoad({ baseUrl: service.url, orders: 20, failureRate: 0.2, rate, concurrency: 16, timeoutMs: 10_000 });
    expect(report.unfinished).toEqual([]);
    expect(report.options.rate).toBe(rate);
    const times = report.planned.map((o) => service?.placedAt.get(o.orderId));
    expect(times.every((t) => t !== undefined)).toBe(true);
    // The driver takes its start after the totals' read answered before its first order, and sends
    // order i no earlier than i / rate after that start; an order arrives after it was sent. (Not
    // measured from the first order's arrival: that one can arrive late, on a busy machine.)
    const from = service.placingAfter();
    expect(from).toBeGreaterThan(0);
    // 2 ms for the timers, which count from the event loop's cached clock.
    times.forEach((t, i) => expect((t as number) - from).toBeGreaterThanOrEqual((i * 1000) / rate - 2));
  });

  it('without a rate, places as fast as the service answers, concurrency at a time', async () => {
    service = await standIn();
    const report = await runLoad({ baseUrl: service.url, orders: 20, failureRate: 0, concurrency: 16, timeoutMs: 10_000 });
    expect(report.options.rate).toBe(0);
    expect(report.outcomes.every((o) => o.placedStatus === 201 && o.readModelStatus === 'confirmed')).toBe(true);
    expect(service.placedAt.size).toBe(20);
  });
});
