// What replay safety needs to know about the state a generation left behind: which events each
// aggregate's reducer applied and, for snapshotted aggregates, the shape of the state its
// snapshots were written in. `check` derives it from the baseline's model; `generate` keeps it in
// the output folder's manifest, so the next `generate` or `validate` can judge the same rules
// (replay-gate.ts) without a baseline. Plain JSON, sorted, so the manifest stays deterministic.
import { createHash } from 'node:crypto';
import type { Field, Model } from '../core/model.js';
import { avroRecordSchemaOf, printAvroSchema, type AvroSchemaJson } from '../emit/avro-schema.js';

export interface ReplayAggregate {
  readonly domain: string;
  /** Events whose `apply` changes the state, sorted. */
  readonly applied: readonly string[];
  /** Only with `snapshotEvery`: a digest of the state's Avro schema, `doc` aside. */
  readonly snapshotState?: string;
}

/** Aggregates by name (unique in a project). */
export interface ReplayRecord {
  readonly aggregates: Readonly<Record<string, ReplayAggregate>>;
}

/** Docs never change how data decodes; a `doc` key inside a default is data and stays. */
function withoutDocs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDocs);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k, v]) => k !== 'doc' && v !== undefined)
      .map(([k, v]) => [k, k === 'default' ? v : withoutDocs(v)]),
  );
}

export function stateDigest(state: readonly Field[], aggregate: string): string {
  const schema = withoutDocs(avroRecordSchemaOf({ name: `${aggregate}State`, fields: state }, '')) as AvroSchemaJson;
  return createHash('sha256').update(printAvroSchema(schema)).digest('hex').slice(0, 32);
}

export function replayRecordOf(model: Model): ReplayRecord {
  const entries: [string, ReplayAggregate][] = [];
  for (const domain of model.domains) {
    for (const a of domain.aggregates) {
      const applied = a.events.filter((e) => e.apply.kind !== 'none').map((e) => e.name).sort();
      entries.push([a.name, { domain: domain.name, applied, ...(a.snapshotEvery !== undefined ? { snapshotState: stateDigest(a.state, a.name) } : {}) }]);
    }
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { aggregates: Object.fromEntries(entries) };
}

/**
 * The record as a manifest holds it; undefined when it is missing or malformed (an older
 * eventsmith, a hand edit): then there is no history to judge against, and nothing is refused.
 */
export function parseReplayRecord(value: unknown): ReplayRecord | undefined {
  if (typeof value !== 'object' || value === null || !('aggregates' in value)) return undefined;
  const aggs: unknown = value.aggregates;
  if (typeof aggs !== 'object' || aggs === null || Array.isArray(aggs)) return undefined;
  const out: Record<string, ReplayAggregate> = {};
  for (const [name, a] of Object.entries(aggs)) {
    if (typeof a !== 'object' || a === null) return undefined;
    const { domain, applied, snapshotState } = a as Record<string, unknown>;
    if (typeof domain !== 'string' || !Array.isArray(applied) || !applied.every((e): e is string => typeof e === 'string')) return undefined;
    if (snapshotState !== undefined && typeof snapshotState !== 'string') return undefined;
    out[name] = { domain, applied, ...(snapshotState !== undefined ? { snapshotState } : {}) };
  }
  return { aggregates: out };
}
