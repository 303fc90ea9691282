// The summary of an example run and the consistency checks it must pass. Pure: it reads what the
// load driver, the service's /metrics and the rebuild command said.
import type { LoadReport } from './load-driver.js';
import type { Comparison, RebuildResult } from './read-model.js';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface RunSummary {
  readonly ok: boolean;
  readonly orders: {
    readonly requested: number;
    readonly placed: number;
    readonly placedAsV1: number;
    readonly confirmed: number;
    readonly cancelled: number;
    readonly cancelledOutOfStock: number;
    readonly cancelledPaymentDeclined: number;
    readonly unfinished: number;
  };
  readonly events: {
    readonly stored: number;
    readonly outboxRows: number;
    readonly published: number;
    readonly consumed: Readonly<Record<string, number>>;
    readonly duplicatesSkipped: Readonly<Record<string, number>>;
  };
  readonly consumerLag: Readonly<Record<string, number>>;
  readonly outboxLag: number;
  readonly deadLetters: number;
  readonly duplicatesApplied: number;
  readonly sagas: {
    readonly mode: string;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly commandsSent: number;
    readonly resends: number;
    readonly stepsTimedOut: number;
  };
  readonly rebuild: { readonly identical: boolean; readonly rows: number; readonly eventsRead: number; readonly differences: number; readonly millis: number };
  readonly timing: {
    readonly placingMillis: number;
    readonly settleMillis: number;
    readonly checkedMillis: number;
    readonly ordersPerSecond: number;
    /** Placement → confirmation/cancellation, from the events' own timestamps. */
    readonly latencyMs: { readonly p50: number; readonly p95: number; readonly max: number };
  };
  readonly checks: readonly Check[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export function summarize(load: LoadReport, rebuilt: { readonly rebuild: RebuildResult; readonly comparison: Comparison }): RunSummary {
  const { outcomes, metrics: m } = load;
  const n = load.planned.length;
  const placed = outcomes.filter((o) => o.placedStatus !== 0);
  const final = outcomes.filter((o) => o.readModelStatus === 'confirmed' || o.readModelStatus === 'cancelled');
  const expected = (d: string): string => (d === 'confirmed' ? 'confirmed' : 'cancelled');
  const wrong = outcomes.filter((o) => o.readModelStatus !== null && o.readModelStatus !== expected(o.design));
  const disagree = outcomes.filter((o) => o.readModelStatus !== o.aggregateStatus || o.readModelEventsApplied !== o.aggregateVersion);
  const consumers = Object.entries(m.consumers);
  const lagging = consumers.filter(([, c]) => c.lag !== 0);
  const latencies = outcomes.flatMap((o) => (o.latencyMs === null ? [] : [o.latencyMs])).sort((a, b) => a - b);
  const cmp = rebuilt.comparison;
  const open = m.sagas.byStatus.running + m.sagas.byStatus.compensating + m.sagas.byStatus.parked;
  const sagaFor = (status: string | null): string | null => (status === 'confirmed' ? 'completed' : status === 'cancelled' ? 'compensated' : null);
  const sagaMismatch = outcomes.filter((o) => o.sagaStatus !== sagaFor(o.readModelStatus));

  const checks: Check[] = [
    { name: 'every order placed', ok: placed.length === n, detail: `${placed.length} of ${n} accepted` },
    { name: 'every order final', ok: load.unfinished.length === 0 && final.length === n, detail: `${final.length} of ${n} confirmed or cancelled` },
    {
      name: 'outcomes as designed',
      ok: wrong.length === 0,
      detail: wrong.length === 0 ? 'each order confirmed or cancelled as its data said' : `${wrong.length} differ, e.g. ${wrong[0]?.orderId ?? ''} (${wrong[0]?.design ?? ''} → ${wrong[0]?.readModelStatus ?? ''})`,
    },
    {
      name: 'read model agrees with aggregates',
      ok: disagree.length === 0,
      detail: disagree.length === 0 ? 'status and version of every order' : `${disagree.length} differ, e.g. ${disagree[0]?.orderId ?? ''}`,
    },
    {
      name: 'sagas finished',
      ok: open === 0 && sagaMismatch.length === 0,
      detail:
        `${m.sagas.byStatus.running} running, ${m.sagas.byStatus.compensating} compensating, ${m.sagas.byStatus.parked} parked` +
        (sagaMismatch.length === 0 ? '; each order\'s saga completed or compensated with it' : `; ${sagaMismatch.length} orders' sagas disagree, e.g. ${sagaMismatch[0]?.orderId ?? ''} (${sagaMismatch[0]?.sagaStatus ?? 'none'})`),
    },
    { name: 'outbox drained', ok: m.relay.lag.rows === 0 && m.eventStore.outboxUnpublished === 0, detail: `${m.relay.lag.rows} rows behind, ${m.eventStore.outboxUnpublished} unpublished` },
    { name: 'consumers caught up', ok: lagging.length === 0, detail: consumers.map(([name, c]) => `${name} lag ${c.lag}`).join(', ') },
    { name: 'no dead letters', ok: m.deadLetters.total === 0, detail: `${m.deadLetters.total} messages in ${Object.keys(m.deadLetters.byTopic).join(', ')}` },
    {
      name: 'no duplicate applied',
      ok: m.readModel.duplicatesApplied === 0 && m.eventStore.duplicateEffects === 0,
      detail: `${m.readModel.duplicatesApplied} events applied twice to the read model, ${m.eventStore.duplicateEffects} saga effects appended twice to an aggregate`,
    },
    {
      name: 'read model equals rebuild',
      ok: cmp.identical,
      detail: cmp.identical
        ? `${cmp.liveRows} rows identical to a replay of ${rebuilt.rebuild.eventsRead} events`
        : `${cmp.differences} orders differ (live ${cmp.liveRows} rows, rebuilt ${cmp.rebuiltRows}), e.g. ${cmp.examples.map((d) => `${d.orderId} ${d.kind}${d.columns.length > 0 ? ` [${d.columns.join(',')}]` : ''}`).join('; ')}`,
    },
  ];

  return {
    ok: checks.every((c) => c.ok),
    orders: {
      requested: n,
      placed: placed.length,
      placedAsV1: placed.filter((o) => o.legacy).length,
      confirmed: outcomes.filter((o) => o.readModelStatus === 'confirmed').length,
      cancelled: outcomes.filter((o) => o.readModelStatus === 'cancelled').length,
      cancelledOutOfStock: outcomes.filter((o) => o.readModelStatus === 'cancelled' && (o.cancellationReason ?? '').startsWith('out of stock')).length,
      cancelledPaymentDeclined: outcomes.filter((o) => o.readModelStatus === 'cancelled' && (o.cancellationReason ?? '').startsWith('payment declined')).length,
      unfinished: load.unfinished.length,
    },
    events: {
      stored: m.eventStore.events,
      outboxRows: m.eventStore.outboxRows,
      published: m.relay.published,
      consumed: Object.fromEntries(consumers.map(([name, c]) => [name, c.applied])),
      duplicatesSkipped: Object.fromEntries(consumers.map(([name, c]) => [name, c.duplicates])),
    },
    consumerLag: Object.fromEntries(consumers.map(([name, c]) => [name, c.lag])),
    outboxLag: m.relay.lag.rows,
    deadLetters: m.deadLetters.total,
    duplicatesApplied: m.readModel.duplicatesApplied + m.eventStore.duplicateEffects,
    sagas: { mode: m.sagas.mode, byStatus: m.sagas.byStatus, commandsSent: m.sagas.commandsSent, resends: m.sagas.resends, stepsTimedOut: m.sagas.stepsTimedOut },
    rebuild: { identical: cmp.identical, rows: rebuilt.rebuild.orders, eventsRead: rebuilt.rebuild.eventsRead, differences: cmp.differences, millis: rebuilt.rebuild.millis },
    timing: {
      placingMillis: load.placingMillis,
      settleMillis: load.settleMillis,
      checkedMillis: load.checkedMillis,
      ordersPerSecond: Math.round((n * 1000) / Math.max(1, load.settleMillis)),
      latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1) ?? 0 },
    },
    checks,
  };
}

const num = (n: number): string => n.toLocaleString('en-US');

export function formatSummary(s: RunSummary): string {
  const per = (r: Readonly<Record<string, number>>): string =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${num(v)}`)
      .join(', ');
  const lines = [
    `orders        ${num(s.orders.placed)} placed (${num(s.orders.placedAsV1)} through the v1 API), ${num(s.orders.confirmed)} confirmed, ${num(s.orders.cancelled)} cancelled ` +
      `(${num(s.orders.cancelledOutOfStock)} out of stock, ${num(s.orders.cancelledPaymentDeclined)} payment declined)` +
      (s.orders.unfinished > 0 ? `, ${num(s.orders.unfinished)} NOT FINISHED` : ''),
    `events        ${num(s.events.stored)} stored; ${num(s.events.published)} messages (events and commands) published by the relay from ${num(s.events.outboxRows)} outbox rows; outbox lag ${num(s.outboxLag)}`,
    `consumed      ${per(s.events.consumed)} (redeliveries skipped: ${per(s.events.duplicatesSkipped)})`,
    `consumer lag  ${per(s.consumerLag)}`,
    `dead letters  ${num(s.deadLetters)}`,
    `duplicates    applied: ${num(s.duplicatesApplied)}`,
    `read model    ${s.rebuild.identical ? 'equals' : 'DIFFERS FROM'} a rebuild of ${num(s.rebuild.rows)} orders from ${num(s.rebuild.eventsRead)} events (${s.rebuild.millis} ms)` +
      (s.rebuild.identical ? '' : `: ${num(s.rebuild.differences)} orders differ`),
    `sagas         ${per(s.sagas.byStatus)} (${s.sagas.mode}: ${num(s.sagas.commandsSent)} commands sent, ${num(s.sagas.resends)} resent, ${num(s.sagas.stepsTimedOut)} steps timed out)`,
    `timing        placed in ${(s.timing.placingMillis / 1000).toFixed(1)} s, all final after ${(s.timing.settleMillis / 1000).toFixed(1)} s (${num(s.timing.ordersPerSecond)} orders/s); ` +
      `placement → final p50 ${num(s.timing.latencyMs.p50)} ms, p95 ${num(s.timing.latencyMs.p95)} ms, max ${num(s.timing.latencyMs.max)} ms`,
    '',
    ...s.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    s.ok ? `consistent: ${s.checks.length} checks passed` : `INCONSISTENT: ${s.checks.filter((c) => !c.ok).length} of ${s.checks.length} checks failed`,
  ];
  return `${lines.join('\n')}\n`;
}
