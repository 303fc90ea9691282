/**
 * The runtime's metrics through `@opentelemetry/api` (the optional peer dependency; see otel.ts).
 * Each long-running component makes its instruments when it is constructed, from the global
 * MeterProvider: register the SDK's provider first (the API has no proxy for meters, unlike
 * tracers). Without the API, or without an SDK, every instrument is a no-op.
 *
 * Names: the semantic conventions' where one exists (`messaging.client.consumed.messages`,
 * `messaging.client.sent.messages`, `messaging.process.duration`), `eventsmith.*` for what the
 * conventions do not cover (lag per partition, dead letters, the outbox, sagas).
 */
import type * as Api from '@opentelemetry/api';
import { SCOPE, otel } from './otel.js';

export type Attributes = Api.Attributes;

export interface Counter {
  add(value: number, attributes?: Attributes): void;
}

export interface Histogram {
  record(value: number, attributes?: Attributes): void;
}

/** Reports observations of gauges at collection time (an async callback may query a database). */
export type GaugeCallback = (observe: (gauge: string, value: number, attributes?: Attributes) => void) => Promise<void> | void;

const noopCounter: Counter = { add: () => undefined };
const noopHistogram: Histogram = { record: () => undefined };

/** Instruments of one component, made from the meter of the runtime's scope. */
export class Instruments {
  private readonly meter: Api.Meter | undefined = otel?.metrics.getMeter(SCOPE);

  counter(name: string, description: string, unit = '{message}'): Counter {
    return this.meter?.createCounter(name, { description, unit }) ?? noopCounter;
  }

  histogram(name: string, description: string, unit = 's', boundaries?: number[]): Histogram {
    return (
      this.meter?.createHistogram(name, {
        description,
        unit,
        ...(boundaries ? { advice: { explicitBucketBoundaries: boundaries } } : {}),
      }) ?? noopHistogram
    );
  }

  /**
   * Observable gauges reported together by one callback (one database query for several of
   * them); returns the function that unregisters the callback (a component calls it on stop).
   */
  gauges(specs: Readonly<Record<string, { readonly description: string; readonly unit?: string }>>, callback: GaugeCallback): () => void {
    const meter = this.meter;
    if (meter === undefined) return () => undefined;
    const gauges = new Map<string, Api.ObservableGauge>();
    for (const [name, spec] of Object.entries(specs)) gauges.set(name, meter.createObservableGauge(name, { description: spec.description, unit: spec.unit ?? '1' }));
    const batch: Api.BatchObservableCallback = async (result) => {
      try {
        await callback((name, value, attributes) => {
          const gauge = gauges.get(name);
          if (gauge !== undefined) result.observe(gauge, value, attributes);
        });
      } catch {
        // A failed observation (database down) reports nothing this time; the component's own
        // logger reports the outage.
      }
    };
    const observables = [...gauges.values()];
    meter.addBatchObservableCallback(batch, observables);
    return () => meter.removeBatchObservableCallback(batch, observables);
  }
}

/** Handler durations: seconds, buckets from 1 ms to 10 s. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
