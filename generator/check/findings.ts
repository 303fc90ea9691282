// What `eventsmith check` reports, and how the rule modules find positions in the YAML.
import type { CompatibilityMode, Model } from '../core/model.js';
import type { IncompatibilityType } from '../compat/index.js';
import type { LoadedSpec, PathSegment } from '../load/index.js';
import type { RuleId } from './rules.js';

export interface Where {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface ModeIncompatibility {
  /** backward: the new version reads the earlier one's data; forward: the earlier one reads the new one's. */
  readonly direction: 'backward' | 'forward';
  readonly type: IncompatibilityType;
  /** JSON Pointer into the reader's schema. */
  readonly location: string;
  readonly message: string;
}

/** MODE_VIOLATION only: the earlier version the new one conflicts with, and how. */
export interface ModeConflictDetail {
  readonly mode: CompatibilityMode;
  readonly version: number;
  /** The earlier version it conflicts with (1-based). */
  readonly against: number;
  readonly incompatibilities: readonly ModeIncompatibility[];
}

/** A finding before opt-outs are applied. */
export interface RawFinding extends Where {
  readonly rule: RuleId;
  readonly message: string;
  /**
   * Logical path of what changed or was removed, e.g. `aggregates.Order.events.OrderPlaced.versions[0]`:
   * what an `allowBreaking` entry names. The position (file:line:col) may be more precise (a field).
   */
  readonly path: string;
  /** The domain the finding belongs to: the current one, or the baseline's when it is gone. */
  readonly domain: string;
  readonly conflict?: ModeConflictDetail;
}

export type FindingStatus = 'breaking' | 'allowed' | 'warning';

export interface Finding extends RawFinding {
  readonly status: FindingStatus;
  /** The `allowBreaking` entry that covers a finding reported as allowed. */
  readonly allowedBy?: Where & { readonly reason: string };
}

/** Positions in the YAML of a model's spec files. */
export interface SpecIndex {
  /** Position of `path` in `file`; falls back to the nearest ancestor that exists. */
  at(file: string, path: readonly PathSegment[], which?: 'key' | 'value'): Where;
  /** Whether `path` exists in `file`'s data. */
  has(file: string, path: readonly PathSegment[]): boolean;
}

export interface Side {
  readonly model: Model;
  readonly index: SpecIndex;
}

export function specIndex(specs: readonly LoadedSpec[], rename: (file: string) => string = (f) => f): SpecIndex {
  const byFile = new Map(specs.map((s) => [s.file, s]));
  return {
    at(file, path, which = 'key') {
      const spec = byFile.get(file);
      const p = spec ? spec.locate(path, which) : { line: 1, col: 1 };
      return { file: rename(file), line: p.line, col: p.col };
    },
    has(file, path) {
      let node: unknown = byFile.get(file)?.data;
      for (const seg of path) {
        if (typeof seg === 'number') node = Array.isArray(node) ? (node[seg] as unknown) : undefined;
        else node = typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, seg) ? (node as Record<string, unknown>)[seg] : undefined;
        if (node === undefined) return false;
      }
      return true;
    },
  };
}

/** One incompatibility in words: who cannot read whose data, and why. */
export function explainIncompatibility(i: ModeIncompatibility, version: number, against: number): string {
  const [reader, writer] = i.direction === 'backward' ? [version, against] : [against, version];
  // Apache Avro's message for a missing default is only the field's name.
  const why = i.type === 'READER_FIELD_MISSING_DEFAULT_VALUE' ? `field \`${i.message}\` is not in v${writer} and has no default in v${reader}` : i.message;
  return `v${reader} cannot read data written as v${writer}: ${why} (${i.type} at ${i.location})`;
}
