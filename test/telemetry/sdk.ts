// The OpenTelemetry SDK as a service would register it, with in-memory exporters, for the
// telemetry tests (in this process and in child processes); spans as plain JSON records.
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { metrics } from '@opentelemetry/api';

/** A finished span, as the tests compare them (and as child processes write them to a file). */
export interface SpanRecord {
  readonly service: string;
  readonly name: string;
  readonly kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Attributes;
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: Attributes }>;
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>;
  readonly status: { readonly code: 'unset' | 'ok' | 'error'; readonly message?: string };
}

const KINDS = { [SpanKind.INTERNAL]: 'internal', [SpanKind.SERVER]: 'server', [SpanKind.CLIENT]: 'client', [SpanKind.PRODUCER]: 'producer', [SpanKind.CONSUMER]: 'consumer' } as const;

export function spanRecord(s: ReadableSpan): SpanRecord {
  const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;
  return {
    service: String(s.resource.attributes['service.name'] ?? ''),
    name: s.name,
    kind: KINDS[s.kind],
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    startMs: ms(s.startTime),
    endMs: ms(s.endTime),
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes ?? {} })),
    links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
    status: { code: s.status.code === 2 ? 'error' : s.status.code === 1 ? 'ok' : 'unset', ...(s.status.message ? { message: s.status.message } : {}) },
  };
}

export interface Telemetry {
  readonly spans: () => SpanRecord[];
  /** Collects the metrics now (every observable gauge is read). */
  readonly collect: () => Promise<ResourceMetrics[]>;
  readonly shutdown: () => Promise<void>;
}

/**
 * Registers a tracer provider (AsyncLocalStorage context, W3C propagator) and a meter provider,
 * both exporting to memory; call before constructing the runtime's components.
 */
export function registerTelemetry(service: string): Telemetry {
  const resource = resourceFromAttributes({ 'service.name': service });
  const spans = new InMemorySpanExporter();
  const tracer = new NodeTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(spans)] });
  tracer.register();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meter = new MeterProvider({ resource, readers: [reader] });
  metrics.setGlobalMeterProvider(meter);
  return {
    spans: () => spans.getFinishedSpans().map(spanRecord),
    collect: async () => {
      metricExporter.reset();
      await reader.forceFlush();
      return metricExporter.getMetrics();
    },
    shutdown: async () => {
      await tracer.shutdown();
      await meter.shutdown();
    },
  };
}

/** One data point of a metric: its value per attribute set. */
export function points(all: readonly ResourceMetrics[], name: string): Array<{ attributes: Attributes; value: number }> {
  const out: Array<{ attributes: Attributes; value: number }> = [];
  for (const rm of all) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        if (m.descriptor.name !== name) continue;
        for (const dp of m.dataPoints) {
          const v = dp.value as number | { count: number; sum?: number };
          out.push({ attributes: dp.attributes, value: typeof v === 'number' ? v : v.count });
        }
      }
    }
  }
  return out;
}
