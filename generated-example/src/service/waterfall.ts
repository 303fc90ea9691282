// One order's distributed trace as a text waterfall: which part of the service did what, when, and
// for how long, from the HTTP request to the saga's last step. Pure: it formats what GET
// /traces/:orderId returned (telemetry.ts).
import type { TraceSpan } from './telemetry.js';

const BAR = 36;
const NAME = 44;

/** The part of the service a span belongs to: the HTTP API, a repository, the relay, a consumer group, the saga. */
function component(s: TraceSpan, groupPrefix: string): string {
  const a = s.attributes;
  if (s.kind === 'server') return 'http';
  if (typeof a['eventsmith.relay'] === 'string') return 'relay';
  if (typeof a['eventsmith.saga.type'] === 'string') return `saga ${String(a['eventsmith.saga.type'])}`;
  const group = a['messaging.consumer.group.name'];
  if (typeof group === 'string') return group.startsWith(`${groupPrefix}.`) ? group.slice(groupPrefix.length + 1) : group;
  if (typeof a['eventsmith.aggregate'] === 'string') return `${String(a['eventsmith.aggregate'])} repository`;
  return 'service';
}

/** What a span is about, briefly: the event or command type's last segments, or the saga's transition. */
function about(s: TraceSpan): string {
  const a = s.attributes;
  const type = a['cloudevents.event_type'];
  if (typeof a['eventsmith.saga.transition'] === 'string') {
    // The step the transition left and the one it moved to: `step-failed: capturePayment → reserveStock`.
    const from = typeof a['eventsmith.saga.from_step'] === 'string' ? a['eventsmith.saga.from_step'] : '';
    const to = typeof a['eventsmith.saga.step'] === 'string' ? a['eventsmith.saga.step'] : '';
    const steps = from !== '' || to !== '' ? `: ${from || '·'} → ${to || String(a['eventsmith.saga.status'] ?? '')}` : '';
    return `${String(a['eventsmith.saga.transition'])}${steps}`;
  }
  if (typeof type === 'string') return type.split('.').slice(-2).join('.');
  const count = a['messaging.batch.message_count'];
  if (typeof count === 'number') return `${count} messages`;
  return '';
}

interface Row {
  readonly span: TraceSpan;
  readonly depth: number;
  readonly linked: boolean;
}

/**
 * Rows in tree order: children under their parent by start time; a span from another trace that
 * links into this one (the relay's batch send) under the span it links to, marked as a link.
 */
function rows(spans: readonly TraceSpan[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  const linkedIds = new Set<string>();
  for (const s of spans) {
    let parent = s.parentSpanId !== null && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    if (parent === undefined) {
      parent = s.links.find((l) => ids.has(l.spanId))?.spanId;
      if (parent !== undefined) linkedIds.add(s.spanId);
    }
    if (parent === undefined) roots.push(s);
    else children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: Row[] = [];
  const visit = (s: TraceSpan, depth: number): void => {
    out.push({ span: s, depth, linked: linkedIds.has(s.spanId) });
    for (const c of (children.get(s.spanId) ?? []).sort((a, b) => a.startMs - b.startMs)) visit(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.startMs - b.startMs)) visit(r, 0);
  return out;
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`;
}

/** The waterfall of `spans` (one order's trace), with a title line. */
export function formatWaterfall(title: string, spans: readonly TraceSpan[], groupPrefix: string): string {
  if (spans.length === 0) return `${title}: no spans recorded\n`;
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const t1 = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const total = Math.max(t1 - t0, 0.001);
  const traceIds = new Set(spans.filter((s) => !s.links.length || s.parentSpanId !== null).map((s) => s.traceId));
  const lines = rows(spans).map(({ span: s, depth, linked }) => {
    const from = Math.min(BAR - 1, Math.floor(((s.startMs - t0) / total) * BAR));
    const width = Math.max(1, Math.min(BAR - from, Math.round((s.durationMs / total) * BAR)));
    const bar = `${' '.repeat(from)}${(s.error ? '!' : '█').repeat(width)}`.padEnd(BAR);
    // One column per level, so a long saga stays readable; the component column names the saga.
    const shown = s.name.startsWith('saga ') ? `saga ${s.name.split(' ').at(-1) ?? ''}` : s.name;
    const name = `${' '.repeat(depth)}${linked ? '↳ ' : ''}${shown}`;
    const note = [about(s), linked ? 'linked batch' : '', s.error ? `error: ${s.error}` : '', ...s.events.filter((e) => e.startsWith('eventsmith.')).map((e) => e.slice('eventsmith.'.length))]
      .filter((x) => x !== '')
      .join('; ');
    return `  ${component(s, groupPrefix).padEnd(22).slice(0, 22)} ${name.padEnd(NAME).slice(0, NAME)} ${ms(s.startMs - t0).padStart(9)} ${ms(s.durationMs).padStart(9)} |${bar}| ${note}`;
  });
  const header = `  ${'component'.padEnd(22)} ${'span'.padEnd(NAME)} ${'start'.padStart(9)} ${'duration'.padStart(9)}  ${'timeline'.padEnd(BAR)}`;
  return `${title}: ${spans.length} spans, trace ${[...traceIds].join(', ')}, ${ms(total)} end to end\n${header}\n${lines.join('\n')}\n`;
}
