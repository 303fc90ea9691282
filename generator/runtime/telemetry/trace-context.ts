/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as the CloudEvents distributed-tracing
 * extension carries it: `traceparent` and `tracestate` attributes, `ce_traceparent` and
 * `ce_tracestate` headers on Kafka. Pure functions, no OpenTelemetry: the checks run on every
 * message whether or not an SDK is registered.
 *
 * A value that breaks the format is ignored, never fatal: tracing must not stop delivery. The
 * rules are the W3C parser's: `traceparent` version 00 is exactly 55 characters, lower-case hex,
 * neither id all zeros; a later version may append fields after a dash (read as 00); version ff
 * is invalid. `tracestate` is dropped whole when malformed or longer than 512 characters (the
 * length every vendor must pass on), as the spec allows.
 */

/** The extension's attribute names (the relay and the publisher prefix them with `ce_`). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** The trace context a message carries: what gets stored with an outbox row and sent as headers. */
export interface TraceHeaders {
  readonly traceparent: string;
  readonly tracestate?: string;
}

export interface ParsedTraceparent {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits. */
  readonly spanId: string;
  /** The trace-flags byte (bit 0: sampled). */
  readonly traceFlags: number;
}

/** Longest traceparent read at all: a future version may add fields, but not kilobytes of them. */
const MAX_TRACEPARENT = 256;
/** The length the W3C spec asks every vendor to propagate; longer tracestate is dropped. */
export const MAX_TRACESTATE = 512;
const MAX_TRACESTATE_MEMBERS = 32;

const traceparentV0 = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const zeros32 = '0'.repeat(32);
const zeros16 = '0'.repeat(16);

/** The parts of a valid traceparent, or undefined for anything else (absent, malformed, oversized). */
export function parseTraceparent(value: unknown): ParsedTraceparent | undefined {
  if (typeof value !== 'string' || value.length < 55 || value.length > MAX_TRACEPARENT) return undefined;
  const m = traceparentV0.exec(value);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff') return undefined;
  // Version 00 has exactly four fields; a higher version may have more, after a dash.
  if (version === '00' && rest !== undefined) return undefined;
  if (traceId === zeros32 || spanId === zeros16) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

export function isValidTraceparent(value: unknown): value is string {
  return parseTraceparent(value) !== undefined;
}

// list-member = key "=" value; key = simple-key / multi-tenant-key (W3C Trace Context, 3.3.1).
const simpleKey = '[a-z][_0-9a-z\\-*/]{0,255}';
const tenantKey = '[a-z0-9][_0-9a-z\\-*/]{0,240}@[a-z][_0-9a-z\\-*/]{0,13}';
const memberValue = '[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
const member = new RegExp(`^(?:${simpleKey}|${tenantKey})=${memberValue}$`);

/** A tracestate worth passing on: well-formed, at most 32 members and 512 characters, keys unique. */
export function isValidTracestate(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_TRACESTATE) return false;
  const members = value.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (members.length === 0 || members.length > MAX_TRACESTATE_MEMBERS) return false;
  const keys = new Set<string>();
  for (const m of members) {
    if (!member.test(m)) return false;
    const key = m.slice(0, m.indexOf('='));
    if (keys.has(key)) return false;
    keys.add(key);
  }
  return true;
}

/** A version-00 traceparent. */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The trace context of a message from its attributes or headers, read by `get` (an attribute name
 * or a `ce_` header): undefined without a valid traceparent; tracestate only when valid too.
 */
export function readTraceHeaders(get: (name: typeof TRACEPARENT | typeof TRACESTATE) => unknown): TraceHeaders | undefined {
  const traceparent = get(TRACEPARENT);
  if (!isValidTraceparent(traceparent)) return undefined;
  const tracestate = get(TRACESTATE);
  return isValidTracestate(tracestate) ? { traceparent, tracestate } : { traceparent };
}
