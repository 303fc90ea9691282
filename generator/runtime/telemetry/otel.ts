/**
 * The runtime's one door to OpenTelemetry. `@opentelemetry/api` is an optional peer dependency:
 * when it is not installed, `otel` is undefined and every helper here does nothing; when it is
 * installed but no SDK is registered, the API's no-op tracer and meter answer, and nothing is
 * recorded (bench/telemetry.mjs measures what that costs).
 *
 * Names follow the OpenTelemetry messaging semantic conventions (v1.30): span names
 * `<operation> <destination>`, `messaging.*` attributes, PRODUCER for create, CLIENT for a batch
 * send whose messages were created earlier (linked), CONSUMER for process. CloudEvents id and
 * type ride along as `cloudevents.event_id` / `cloudevents.event_type`.
 *
 * Components never import the API themselves: they call these helpers, so that the dependency
 * stays optional and the conventions live in one place.
 */
import type * as Api from '@opentelemetry/api';
import { type TraceHeaders, formatTraceparent, isValidTracestate, parseTraceparent, readTraceHeaders } from './trace-context.js';

/** The API module, or undefined when the optional peer dependency is not installed. */
export const otel: typeof Api | undefined = await import('@opentelemetry/api').catch(() => undefined);

const MAX_LINKS = 128;

/** Instrumentation scope of every span and instrument of the runtime. */
export const SCOPE = 'eventsmith';

export type Span = Api.Span;
export type Context = Api.Context;
export type SpanContext = Api.SpanContext;
export type Attributes = Api.Attributes;

/** Span kinds by name, so components need not import the API's enum. */
export type SpanKindName = 'internal' | 'producer' | 'consumer' | 'client';

function kindOf(api: typeof Api, kind: SpanKindName): Api.SpanKind {
  switch (kind) {
    case 'producer':
      return api.SpanKind.PRODUCER;
    case 'consumer':
      return api.SpanKind.CONSUMER;
    case 'client':
      return api.SpanKind.CLIENT;
    default:
      return api.SpanKind.INTERNAL;
  }
}

/** Options of {@link startSpan}. */
export interface StartSpanOptions {
  readonly kind?: SpanKindName;
  readonly attributes?: Attributes;
  /** The parent: a remote context from a message, or the active context when absent. */
  readonly parent?: Context;
  /**
   * Linked trace contexts (the messages a batch send or a batch process handles), as headers or
   * already parsed; a function is called only when the span records, so a no-op tracer costs no
   * reading of headers.
   */
  readonly links?: Iterable<TraceHeaders | SpanContext | undefined> | (() => Iterable<TraceHeaders | SpanContext | undefined>);
}

/** The runtime's tracer, and the global provider it came from. */
let cachedTracer: { readonly provider: Api.TracerProvider; readonly tracer: Api.Tracer } | undefined;

/**
 * The runtime's tracer from the global provider, asked once per provider: the API's global is a
 * proxy whose tracers follow an SDK registered later, and `trace.disable()` replaces that proxy,
 * so a new one is asked again (the SDK builds a key and looks it up on every getTracer, and the
 * no-op proxy allocates a tracer each time).
 */
function tracerOf(api: typeof Api): Api.Tracer {
  const provider = api.trace.getTracerProvider();
  if (cachedTracer?.provider !== provider) cachedTracer = { provider, tracer: provider.getTracer(SCOPE) };
  return cachedTracer.tracer;
}

/**
 * Starts a span through the global tracer; undefined without the API. Links are parsed only when
 * the span records, so a no-op tracer costs no parsing.
 */
export function startSpan(name: string, options: StartSpanOptions = {}): Span | undefined {
  const api = otel;
  if (api === undefined) return undefined;
  const tracer = tracerOf(api);
  const span = tracer.startSpan(
    name,
    { kind: kindOf(api, options.kind ?? 'internal'), ...(options.attributes ? { attributes: options.attributes } : {}) },
    options.parent ?? api.context.active(),
  );
  if (options.links !== undefined && span.isRecording()) {
    const links: Api.Link[] = [];
    for (const headers of typeof options.links === 'function' ? options.links() : options.links) {
      const linked = headers === undefined ? undefined : 'traceparent' in headers ? spanContextOf(api, headers) : headers;
      if (linked !== undefined) links.push({ context: linked });
      // The SDK keeps 128 links per span by default (linkCountLimit): parsing more is wasted.
      if (links.length >= MAX_LINKS) break;
    }
    if (links.length > 0) span.addLinks(links);
  }
  return span;
}

/**
 * Runs `work` in `context` (from {@link contextOfSpanContext}); at once when it is undefined.
 */
export function withContext<T>(context: Context | undefined, work: () => T): T {
  const api = otel;
  if (api === undefined || context === undefined) return work();
  return api.context.with(context, work);
}

/** Runs `work` with `span` as the active span (so appends and sends inside it carry its context). */
export function withSpan<T>(span: Span | undefined, work: () => T): T {
  const api = otel;
  if (api === undefined || span === undefined) return work();
  return api.context.with(api.trace.setSpan(api.context.active(), span), work);
}

/** Ends a span as failed: the exception recorded, status ERROR. */
export function failSpan(span: Span | undefined, error: unknown): void {
  if (span === undefined) return;
  const api = otel;
  if (span.isRecording() && api !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

/** Marks a span failed without ending it. */
export function markSpanError(span: Span | undefined, message: string): void {
  const api = otel;
  if (span === undefined || api === undefined || !span.isRecording()) return;
  span.setStatus({ code: api.SpanStatusCode.ERROR, message });
}

/**
 * The trace context to put on an outgoing message: the given span's, else the active span's.
 * Undefined when there is no valid span context (no SDK, or nothing traced), so that no header
 * is written at all.
 */
export function traceHeadersOf(span?: Span): TraceHeaders | undefined {
  const api = otel;
  if (api === undefined) return undefined;
  const sc = (span ?? api.trace.getSpan(api.context.active()))?.spanContext();
  if (sc === undefined || !api.isSpanContextValid(sc)) return undefined;
  const traceparent = formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags);
  const tracestate = sc.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

function spanContextOf(api: typeof Api, headers: TraceHeaders): Api.SpanContext | undefined {
  const parsed = parseTraceparent(headers.traceparent);
  if (parsed === undefined) return undefined;
  return {
    traceId: parsed.traceId,
    spanId: parsed.spanId,
    traceFlags: parsed.traceFlags,
    isRemote: true,
    ...(headers.tracestate !== undefined ? { traceState: api.createTraceState(headers.tracestate) } : {}),
  };
}

/**
 * The context whose parent is a message's trace context (a remote span), on top of the active
 * one; the active context when the message carries none or an invalid one.
 */
export function contextFromHeaders(headers: TraceHeaders | undefined): Context | undefined {
  const api = otel;
  if (api === undefined) return undefined;
  const sc = headers === undefined ? undefined : spanContextOf(api, headers);
  return sc === undefined ? api.context.active() : api.trace.setSpanContext(api.context.active(), sc);
}

/**
 * The creation context a decoded CloudEvent carries (its `traceparent` and `tracestate`), parsed
 * once for both a link and a parent; undefined without the API or without a valid traceparent.
 */
export function spanContextOfEvent(event: object): SpanContext | undefined {
  const api = otel;
  if (api === undefined) return undefined;
  const record = event as Readonly<Record<string, unknown>>;
  const parsed = parseTraceparent(record['traceparent']);
  if (parsed === undefined) return undefined;
  const tracestate = record['tracestate'];
  return {
    traceId: parsed.traceId,
    spanId: parsed.spanId,
    traceFlags: parsed.traceFlags,
    isRemote: true,
    ...(tracestate !== undefined && isValidTracestate(tracestate) ? { traceState: api.createTraceState(tracestate) } : {}),
  };
}

/** The active context with `parent` (a remote span context) as its span; undefined without the API or a parent. */
export function contextOfSpanContext(parent: SpanContext | undefined): Context | undefined {
  const api = otel;
  if (api === undefined || parent === undefined) return undefined;
  return api.trace.setSpanContext(api.context.active(), parent);
}

/** The active context with `span` as its span; undefined without the API or a span. */
export function contextOfSpan(span: Span | undefined): Context | undefined {
  const api = otel;
  if (api === undefined || span === undefined) return undefined;
  return api.trace.setSpan(api.context.active(), span);
}

/** The trace context of a decoded CloudEvent (its extension attributes), if valid. */
export function traceHeadersOfEvent(event: object): TraceHeaders | undefined {
  const record = event as Readonly<Record<string, unknown>>;
  return readTraceHeaders((name) => record[name]);
}

/** Kafka message headers → trace context (`ce_traceparent`, `ce_tracestate`), for undecodable messages. */
export function traceHeadersOfKafka(headers: Readonly<Record<string, unknown>> | undefined): TraceHeaders | undefined {
  if (headers === undefined) return undefined;
  const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('utf8') : Array.isArray(v) ? text(v[0]) : v);
  return readTraceHeaders((name) => text(headers[`ce_${name}`]));
}

export { type TraceHeaders } from './trace-context.js';
