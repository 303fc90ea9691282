// Shared by the projection tests: the example spec's generated code (with its OrderSummary
// projection) as JavaScript, a reference fold of the event store in plain TypeScript, and
// random Order histories.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import type { OrderEvent } from '../../generated-example/src/generated/orders/types.js';
import type { OrderSummaryRow } from '../../generated-example/src/generated/orders/projections.js';
import { type ConnectionPool, type ProjectionDefinition, decodeStoredEvent, readAll } from '../../generator/runtime/index.js';
import { exampleCustomFiles, generateFiles, root, scratch } from '../emit/evolution-support.js';
import { cancelled, confirmed, orderSpec, placed, rng } from '../repository/service.js';

export type { OrderSummaryRow };

export interface ProjectionModules {
  readonly definition: ProjectionDefinition<unknown>;
  readonly list: (db: ConnectionPool, filter?: { readonly limit?: number; readonly status?: string }, table?: string) => Promise<OrderSummaryRow[]>;
  readonly get: (db: ConnectionPool, orderId: string) => Promise<OrderSummaryRow | undefined>;
  readonly decoding: ProjectionDefinition<unknown>['decoding'];
}

/**
 * The example generated as JavaScript into a scratch folder. `runtime`: the module specifier the
 * generated code imports the runtime from (its TypeScript source in-process; the built runtime
 * for child processes, which run plain node).
 */
export async function generateProjectionCode(prefix: string, runtime: 'source' | 'dist'): Promise<{ dir: string; remove: () => void }> {
  const work = scratch(prefix);
  const runtimeModule =
    runtime === 'source' ? path.join(root, 'generator/runtime/index.ts') : pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href;
  const custom = exampleCustomFiles();
  // Generated files at the top, the user-owned ones in `eventsmith/` (as test/emit/evolution-support.ts lays them out).
  const files = (await generateFiles('spec.yaml', orderSpec(), runtimeModule, { fromOut: 'eventsmith', toOut: '..' }))
    .map((f): [string, string] => [f.userOwned ? `eventsmith/${f.path}` : f.path, f.content])
    .filter(([rel]) => !custom.has(rel));
  for (const [rel, content] of [...files, ...custom]) {
    const target = path.join(work.dir, rel);
    mkdirSync(path.dirname(target), { recursive: true });
    if (!rel.endsWith('.ts')) writeFileSync(target, content);
    else {
      const js = ts.transpileModule(content.replaceAll("'eventsmith/runtime'", JSON.stringify(runtimeModule)), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: rel,
      }).outputText;
      writeFileSync(target.replace(/\.ts$/, '.js'), js);
    }
  }
  writeFileSync(path.join(work.dir, 'runtime.js'), `export * from ${JSON.stringify(runtimeModule)};\n`);
  return work;
}

type Module = Record<string, unknown>;

function member<T>(m: Module, name: string): T {
  const v = m[name];
  if (v === undefined) throw new Error(`generated code has no ${name}`);
  // The generated declaration's type, mirrored by T.
  return v as T;
}

export async function loadProjection(dir: string): Promise<ProjectionModules> {
  const m = (await import(pathToFileURL(path.join(dir, 'orders/projections.js')).href)) as Module;
  const definition = member<ProjectionDefinition<unknown>>(m, 'orderSummaryProjection');
  return {
    definition,
    list: member(m, 'listOrderSummaryRows'),
    get: member(m, 'getOrderSummary'),
    decoding: definition.decoding,
  };
}

/** The OrderSummary rules written by hand over decoded events: what the table must equal. */
export async function referenceFold(pool: ConnectionPool, decoding: ProjectionModules['decoding']): Promise<Map<string, OrderSummaryRow>> {
  const rows = new Map<string, OrderSummaryRow>();
  let after = 0n;
  for (;;) {
    const page = await readAll(pool, after, 1000);
    for (const r of page) {
      after = r.globalPosition;
      if (r.streamType !== 'Order') continue;
      const event = decodeStoredEvent(decoding, r) as OrderEvent;
      const prev = rows.get(r.streamId);
      const applied = { eventsApplied: (prev?.eventsApplied ?? 0) + 1, lastEventId: r.eventId };
      switch (event.type) {
        case 'com.example.orders.order.placed':
          rows.set(r.streamId, {
            orderId: r.streamId,
            customerId: event.data.customerId,
            status: 'placed',
            totalAmount: event.data.total.amount,
            currency: event.data.total.currency,
            lines: event.data.items.length,
            units: event.data.items.reduce((n, item) => n + item.quantity, 0),
            cancellationReason: prev?.cancellationReason ?? null,
            placedAt: r.occurredAt,
            finishedAt: prev?.finishedAt ?? null,
            ...applied,
          });
          break;
        case 'com.example.orders.order.confirmed':
          if (prev) rows.set(r.streamId, { ...prev, ...applied, status: 'confirmed', finishedAt: event.data.confirmedAt });
          break;
        case 'com.example.orders.order.cancelled':
          if (prev) rows.set(r.streamId, { ...prev, ...applied, status: 'cancelled', cancellationReason: event.data.reason, finishedAt: event.data.cancelledAt });
          break;
      }
    }
    if (page.length < 1000) break;
  }
  return rows;
}

/** Every row of the table, by order id. */
export async function tableRows(pool: ConnectionPool, p: ProjectionModules, table?: string): Promise<Map<string, OrderSummaryRow>> {
  const out = new Map<string, OrderSummaryRow>();
  let after: string | undefined;
  for (;;) {
    const page = await (p.list as (db: ConnectionPool, f: { after?: string; limit: number }, t?: string) => Promise<OrderSummaryRow[]>)(
      pool,
      { ...(after !== undefined ? { after } : {}), limit: 1000 },
      table,
    );
    for (const r of page) out.set(r.orderId, r);
    if (page.length < 1000) break;
    after = page[page.length - 1]?.orderId;
  }
  return out;
}

/** `event` (a placement) with 0 to 3 lines of random quantities, for the lines and units columns. */
function withItems(event: OrderEvent, random: () => number): OrderEvent {
  if (event.type !== 'com.example.orders.order.placed') return event;
  const [first] = event.data.items;
  if (first === undefined) return event;
  const items = Array.from({ length: Math.floor(random() * 4) }, () => ({ ...first, quantity: 1 + Math.floor(random() * 9) }));
  return { ...event, data: { ...event.data, items } };
}

/** A random history of one order: usually placed first, then confirmations and cancellations (sometimes out of order). */
export function randomHistory(random: () => number): OrderEvent[] {
  const n = 1 + Math.floor(random() * 4);
  const events: OrderEvent[] = [];
  for (let i = 0; i < n; i++) {
    const x = random();
    const t = new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 1e10));
    if (i === 0 && x < 0.85) events.push(withItems(placed(`c-${Math.floor(random() * 50)}`, `${Math.floor(random() * 100000)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`), random));
    else if (x < 0.5) events.push(confirmed(t));
    else if (x < 0.8) events.push(cancelled(`reason ${Math.floor(random() * 9)} 'quoted' ünï`, t));
    else events.push(placed(`c-${Math.floor(random() * 50)}`, '1.50'));
  }
  return events;
}

export { rng };
