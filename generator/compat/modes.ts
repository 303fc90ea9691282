// Confluent Schema Registry compatibility modes over the reader/writer check. BACKWARD: the
// new schema reads data written with the latest previous one (consumers upgrade first);
// FORWARD: the latest previous schema reads data written with the new one (producers upgrade
// first); FULL: both; *_TRANSITIVE: against every previous schema, not only the latest;
// NONE: no check.
import type { CompatibilityMode } from '../core/model.js';
import { parseSchema } from './parse.js';
import { checkReaderWriterNodes, type Incompatibility } from './resolve.js';
import type { AvroNode, AvroSchemaJson } from './schema.js';

export type CompatMode = CompatibilityMode;

export const COMPAT_MODES: readonly CompatMode[] = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
];

export function isCompatMode(value: string): value is CompatMode {
  return (COMPAT_MODES as readonly string[]).includes(value);
}

/** backward: the new schema reads the previous one's data; forward: the previous one reads the new one's. */
export type CompatDirection = 'backward' | 'forward';

export interface ModeConflict {
  /** Index into `previous` (oldest first) of the version that conflicts. */
  readonly previousIndex: number;
  readonly direction: CompatDirection;
  readonly incompatibilities: readonly Incompatibility[];
}

export interface ModeResult {
  readonly compatible: boolean;
  /** Ordered by previousIndex, then backward before forward. */
  readonly conflicts: readonly ModeConflict[];
}

/**
 * Can `newSchema` follow `previous` (oldest first) under `mode`? Every schema is validated,
 * even under NONE; an invalid one throws AvroSchemaError labelled `new` or `previous[i]`.
 */
export function checkMode(mode: CompatMode, newSchema: AvroSchemaJson, previous: readonly AvroSchemaJson[]): ModeResult {
  const next = parseSchema(newSchema, 'new');
  const earlier = previous.map((p, i) => parseSchema(p, `previous[${i}]`));
  return checkModeNodes(mode, next, earlier);
}

/** The indexes of `previous` that `mode` checks against. */
export function versionsChecked(mode: CompatMode, previousCount: number): number[] {
  if (mode === 'NONE' || previousCount === 0) return [];
  if (mode.endsWith('_TRANSITIVE')) return Array.from({ length: previousCount }, (_, i) => i);
  return [previousCount - 1];
}

export function directionsOf(mode: CompatMode): readonly CompatDirection[] {
  if (mode.startsWith('BACKWARD')) return ['backward'];
  if (mode.startsWith('FORWARD')) return ['forward'];
  if (mode.startsWith('FULL')) return ['backward', 'forward'];
  return [];
}

/** As checkMode, for schemas already parsed with parseSchema. */
export function checkModeNodes(mode: CompatMode, next: AvroNode, previous: readonly AvroNode[]): ModeResult {
  const conflicts: ModeConflict[] = [];
  for (const previousIndex of versionsChecked(mode, previous.length)) {
    const old = previous[previousIndex];
    if (old === undefined) continue;
    for (const direction of directionsOf(mode)) {
      const result = direction === 'backward' ? checkReaderWriterNodes(next, old) : checkReaderWriterNodes(old, next);
      if (!result.compatible) conflicts.push({ previousIndex, direction, incompatibilities: result.incompatibilities });
    }
  }
  return { compatible: conflicts.length === 0, conflicts };
}
