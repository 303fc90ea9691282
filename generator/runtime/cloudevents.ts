// CloudEvents 1.0 envelopes of generated events: their type, a constructor, and the checks of
// envelopes that arrive from outside. Generated `<slug>/envelopes.ts` files are a typed layer
// over this module: they fix `type`, `dataversion`, `source` and the data type per event.
//
// Attribute naming (CloudEvents 1.0, "Attribute Naming Convention"): names MUST be lower-case
// ASCII letters and digits; they SHOULD NOT exceed 20 characters. Our own extensions
// (dataversion, partitionkey, correlationid, causationid) meet both; incoming envelopes are
// refused only for the MUST, as the spec and the official SDKs do.
import { randomUUID } from 'node:crypto';

export type DataContentType = 'application/avro' | 'application/json';

/** A CloudEvents 1.0 event whose data is decoded (not bytes): what producers build and consumers handle. */
export interface CloudEvent<TType extends string = string, TData = unknown, TVersion extends number = number> {
  readonly specversion: '1.0';
  /** Unique per `source`; a UUID unless the producer chose one. */
  readonly id: string;
  /** URI-reference of the producing service (the spec's `source:`). */
  readonly source: string;
  readonly type: TType;
  /** When the event happened, RFC 3339. */
  readonly time: string;
  /** The aggregate id. */
  readonly subject: string;
  /** The exact event version: `urn:eventsmith:schema:<type>:v<version>` (see {@link dataschemaFor}). */
  readonly dataschema: string;
  /** How `data` is encoded on the wire. */
  readonly datacontenttype: DataContentType;
  /** Extension: the version of the event's data schema, 1 for the first. */
  readonly dataversion: TVersion;
  /** Extension (CloudEvents Partitioning): the aggregate id, also the Kafka key. */
  readonly partitionkey: string;
  /** Extension: id shared by every event of one business transaction. */
  readonly correlationid?: string;
  /** Extension: id of the event or command that caused this one. */
  readonly causationid?: string;
  readonly data: TData;
}

/**
 * An event as consumers hand it to handlers (event and saga handlers, command deciders): `data`
 * upcast to the latest version this code knows, and `dataversion` and `dataschema` naming that
 * version, so the envelope describes the data it carries. The version it was written in (stored,
 * published) is `writerVersion`; it equals `dataversion` when no upcasting was needed.
 */
export type DeliveredEvent<TType extends string = string, TData = unknown, TVersion extends number = number> = CloudEvent<TType, TData, TVersion> & {
  /** The version the event was written (stored, published) in: the `dataversion` on the wire. */
  readonly writerVersion: number;
};

/** Context attributes of {@link CloudEvent} in a fixed order (a Kafka binding prefixes them with `ce_`). */
export const envelopeAttributes = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'dataschema',
  'datacontenttype',
  'dataversion',
  'partitionkey',
  'correlationid',
  'causationid',
] as const;

/** Outcome of checking untrusted input: never an exception. */
export type ValidationResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

/** Thrown by {@link makeEnvelope} for attributes a producer got wrong; `errors` lists each problem. */
export class InvalidEnvelopeError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`invalid CloudEvents envelope: ${errors.join('; ')}`);
    this.name = 'InvalidEnvelopeError';
  }
}

/**
 * `dataschema` of one event version. A URN rather than a URL: it names the schema without a
 * host anyone must run, stays the same in every environment, and changes exactly when the
 * version does. The `.avsc` of the version is `avro/<type>.v<version>.avsc`.
 */
export function dataschemaFor(type: string, version: number): string {
  return `urn:eventsmith:schema:${type}:v${version}`;
}

/**
 * Extension: the event's version in its stream (the aggregate's version after it, 1 for the
 * first). The event store sets it on every event it appends with binary-mode CloudEvents outbox
 * headers (the outbox row's `ce_streamversion`; the repository's rows always are), so a consumer that keeps a read model from Kafka sees what the event store calls
 * `stream_version` (a projection's `$version`). Events published without the event store have
 * none. An integer in the structured mode, its decimal text in the binary mode's header.
 */
export const STREAM_VERSION_EXTENSION = 'streamversion';

/** The {@link STREAM_VERSION_EXTENSION} of an event: a positive integer, or undefined when absent or malformed. */
export function streamVersionOf(event: CloudEvent): number | undefined {
  const v: unknown = (event as unknown as Readonly<Record<string, unknown>>)[STREAM_VERSION_EXTENSION];
  const n = typeof v === 'string' && /^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

// ---- making envelopes -------------------------------------------------------------------

/** Per-event choices of the producer; everything has a default. */
export interface EnvelopeMeta {
  /** Default: a new UUID. */
  readonly id?: string;
  /** Default: now. A string must be RFC 3339. */
  readonly time?: Date | string;
  /** Default: the domain's `source`. */
  readonly source?: string;
  /** Default: `application/avro`. */
  readonly datacontenttype?: DataContentType;
  /** The event or command this one follows from: sets `causationid` to its id and carries its correlation on. */
  readonly causedBy?: { readonly id: string; readonly correlationid?: string };
  /** Default: `causedBy.correlationid`, else `causedBy.id`. */
  readonly correlationid?: string;
  /** Default: `causedBy.id`. */
  readonly causationid?: string;
}

/** Where ids and times come from; tests pass fixed ones. */
export interface EnvelopeEnvironment {
  readonly now?: () => Date;
  readonly newId?: () => string;
}

/** What a generated constructor fixes for its event. */
export interface EnvelopeInit<TType extends string, TData, TVersion extends number> {
  readonly type: TType;
  readonly dataversion: TVersion;
  readonly source: string;
  /** The aggregate id: `subject` and `partitionkey`. */
  readonly subject: string;
  readonly data: TData;
}

/** A new envelope; throws {@link InvalidEnvelopeError} when an attribute is malformed (an empty id, a bad time). */
export function makeEnvelope<TType extends string, TData, TVersion extends number>(
  init: EnvelopeInit<TType, TData, TVersion>,
  meta: EnvelopeMeta = {},
  env: EnvelopeEnvironment = {},
): CloudEvent<TType, TData, TVersion> {
  const time = meta.time ?? (env.now ?? (() => new Date()))();
  // An invalid Date prints as its own name, which the time check then reports.
  const timeText = typeof time === 'string' ? time : Number.isNaN(time.getTime()) ? 'Invalid Date' : time.toISOString();
  const correlationid = meta.correlationid ?? meta.causedBy?.correlationid ?? meta.causedBy?.id;
  const causationid = meta.causationid ?? meta.causedBy?.id;
  const envelope: CloudEvent<TType, TData, TVersion> = {
    specversion: '1.0',
    id: meta.id ?? (env.newId ?? randomUUID)(),
    source: meta.source ?? init.source,
    type: init.type,
    time: timeText,
    subject: init.subject,
    dataschema: dataschemaFor(init.type, init.dataversion),
    datacontenttype: meta.datacontenttype ?? 'application/avro',
    dataversion: init.dataversion,
    partitionkey: init.subject,
    ...(correlationid !== undefined ? { correlationid } : {}),
    ...(causationid !== undefined ? { causationid } : {}),
    data: init.data,
  };
  const { errors } = checkEnvelope({ ...envelope });
  if (errors.length > 0) throw new InvalidEnvelopeError(errors);
  return envelope;
}

// ---- checking envelopes -----------------------------------------------------------------

type Dict = { readonly [key: string]: unknown };

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/**
 * Checks an envelope received from outside (data already decoded): every attribute of
 * {@link CloudEvent} present and well-formed, extension names valid. `dataversion` may be
 * its canonical string form, as in the binary modes of protocol bindings; the value returned
 * has it as a number. Other valid extensions are kept on the value, outside its static type.
 */
export function validateEnvelope(raw: unknown): ValidationResult<CloudEvent> {
  if (!isDict(raw)) return { ok: false, errors: [`envelope: expected an object, got ${describe(raw)}`] };
  const { errors, value } = checkEnvelope(raw);
  return value ? { ok: true, value } : { ok: false, errors };
}

const maxInt32 = 2 ** 31 - 1;

/** The names checkEnvelope reads itself; every other property is an extension (made once, not per event). */
const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set<string>([...envelopeAttributes, 'data']);

/**
 * `test` remembered for the last values it passed: `source` and `dataschema` repeat across a
 * stream's events, and their URI grammars were about a twentieth of a consumer's decode.
 */
function rememberPasses(test: (s: string) => boolean, capacity = 256): (s: string) => boolean {
  const passed = new Set<string>();
  return (s) => {
    if (passed.has(s)) return true;
    if (!test(s)) return false;
    if (passed.size >= capacity) passed.clear();
    passed.add(s);
    return true;
  };
}

const SOURCE_RULE = { test: rememberPasses(isUriReference), what: 'a URI-reference' };
const TIME_RULE = { test: isRfc3339DateTime, what: 'an RFC 3339 date-time such as 2024-05-01T12:00:00Z' };
const DATASCHEMA_RULE = { test: rememberPasses(isAbsoluteUri), what: 'an absolute URI' };

// Own properties only: `__proto__` or `toString` on the prototype are not attributes. In the
// JSON format an attribute that is null is absent.
function attribute(raw: Dict, name: string): unknown {
  const v = Object.hasOwn(raw, name) ? raw[name] : undefined;
  return v === null ? undefined : v;
}

function requiredString(raw: Dict, name: string, errors: string[], rule?: { test(s: string): boolean; what: string }): string {
  const v = attribute(raw, name);
  if (v === undefined) errors.push(`${name}: required`);
  else if (typeof v !== 'string' || v === '') errors.push(`${name}: must be a non-empty string, got ${describe(v)}`);
  else if (rule && !rule.test(v)) errors.push(`${name}: must be ${rule.what}, got ${describe(v)}`);
  else return v;
  return '';
}

function optionalString(raw: Dict, name: string, errors: string[]): string | undefined {
  return attribute(raw, name) === undefined ? undefined : requiredString(raw, name, errors);
}

/** Every problem of `raw`; the checked envelope only when there is none. Runs for every message a consumer receives. */
function checkEnvelope(raw: Dict): { errors: string[]; value?: CloudEvent } {
  const errors: string[] = [];
  const specversion = attribute(raw, 'specversion');
  if (specversion === undefined) errors.push('specversion: required');
  else if (specversion !== '1.0') errors.push(`specversion: must be '1.0', got ${describe(specversion)}`);
  const id = requiredString(raw, 'id', errors);
  const source = requiredString(raw, 'source', errors, SOURCE_RULE);
  const type = requiredString(raw, 'type', errors);
  const time = requiredString(raw, 'time', errors, TIME_RULE);
  const subject = requiredString(raw, 'subject', errors);
  const dataschema = requiredString(raw, 'dataschema', errors, DATASCHEMA_RULE);
  const contentType = attribute(raw, 'datacontenttype');
  let datacontenttype: DataContentType = 'application/avro';
  if (contentType === undefined) errors.push('datacontenttype: required');
  else if (contentType === 'application/avro' || contentType === 'application/json') datacontenttype = contentType;
  else errors.push(`datacontenttype: must be 'application/avro' or 'application/json', got ${describe(contentType)}`);
  const dataversion = versionOf(attribute(raw, 'dataversion'), errors);
  const partitionkey = requiredString(raw, 'partitionkey', errors);
  const correlationid = optionalString(raw, 'correlationid', errors);
  const causationid = optionalString(raw, 'causationid', errors);
  const data = attribute(raw, 'data');
  if (data === undefined) errors.push('data: required');

  const known = KNOWN_ATTRIBUTES;
  let extensions: Array<[string, string | number | boolean]> | undefined;
  for (const name of Object.keys(raw)) {
    if (known.has(name)) continue;
    const v = raw[name];
    if (name === 'data_base64') errors.push('data_base64: decode the data before checking the envelope');
    else if (!isAttributeName(name)) errors.push(`${describe(name)}: not a CloudEvents attribute name (lower-case ASCII letters and digits only)`);
    else if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isInteger(v))) (extensions ??= []).push([name, v]);
    else if (v !== null) errors.push(`${name}: an extension must be a string, a boolean or an integer, got ${describe(v)}`);
  }
  if (errors.length > 0) return { errors };
  // Built in place rather than spread from parts: the same property order, one object.
  const value: Record<string, unknown> = { specversion: '1.0', id, source, type, time, subject, dataschema, datacontenttype, dataversion, partitionkey };
  if (correlationid !== undefined) value.correlationid = correlationid;
  if (causationid !== undefined) value.causationid = causationid;
  if (extensions !== undefined) for (const [name, v] of extensions) value[name] = v;
  value.data = data;
  return { errors, value: value as unknown as CloudEvent };
}

function versionOf(v: unknown, errors: string[]): number {
  const n = typeof v === 'string' && /^[1-9][0-9]{0,9}$/.test(v) ? Number(v) : v;
  if (v === undefined) errors.push('dataversion: required');
  else if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > maxInt32) {
    errors.push(`dataversion: must be a positive integer, got ${describe(v)}`);
  } else return n;
  return 0;
}

/** Short, safe rendering of an untrusted value for messages. */
function describe(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = `'${v.replace(/[\\']/g, (c) => `\\${c}`)}'`;
  else if (typeof v === 'bigint') s = `${v}n`;
  else if (v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else if (Array.isArray(v)) s = 'an array';
  else s = typeof v === 'object' ? 'an object' : `a ${typeof v}`;
  // Control characters would corrupt a log line.
  s = s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

// ---- formats ----------------------------------------------------------------------------

/** A CloudEvents attribute name: lower-case ASCII letters and digits (the 20-character limit is only a SHOULD). */
export function isAttributeName(name: string): boolean {
  return /^[a-z0-9]+$/.test(name);
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** An RFC 3339 `date-time`, with real calendar dates (no February 30th) and leap seconds allowed. */
export function isRfc3339DateTime(s: string): boolean {
  const m = rfc3339.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offsetHour = 0, offsetMinute = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return days !== undefined && day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 60 && offsetHour <= 23 && offsetMinute <= 59;
}

// RFC 3986. Appendix B splits any string into scheme, authority, path, query, fragment; each
// part is then checked against its grammar.
const uriParts = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;
const pct = '%[0-9A-Fa-f]{2}';
const unreservedOrSub = "A-Za-z0-9\\-._~!$&'()*+,;=";
const pchar = `(?:[${unreservedOrSub}:@]|${pct})`;
const scheme = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const authority = new RegExp(
  `^(?:(?:[${unreservedOrSub}:]|${pct})*@)?(?:\\[[0-9A-Fa-f:.]+\\]|\\[[vV][0-9A-Fa-f]+\\.[${unreservedOrSub}:]+\\]|(?:[${unreservedOrSub}]|${pct})*)(?::[0-9]*)?$`,
);
const path = new RegExp(`^(?:${pchar}|/)*$`);
const queryOrFragment = new RegExp(`^(?:${pchar}|[/?])*$`);

function uriReference(s: string): { readonly scheme: boolean } | undefined {
  const m = uriParts.exec(s);
  if (!m) return undefined;
  const [, schemePart, authorityPart, pathPart = '', query, fragment] = m;
  // A relative reference whose first segment holds a ':' parses as a bad scheme: invalid either way.
  if (schemePart !== undefined && !scheme.test(schemePart)) return undefined;
  if (authorityPart !== undefined && !authority.test(authorityPart)) return undefined;
  if (!path.test(pathPart)) return undefined;
  if (query !== undefined && !queryOrFragment.test(query)) return undefined;
  if (fragment !== undefined && !queryOrFragment.test(fragment)) return undefined;
  return { scheme: schemePart !== undefined };
}

/** A non-empty RFC 3986 URI-reference (absolute or relative): what CloudEvents requires of `source`. */
export function isUriReference(s: string): boolean {
  return s !== '' && uriReference(s) !== undefined;
}

/** An RFC 3986 URI with a scheme: what CloudEvents requires of `dataschema`. */
export function isAbsoluteUri(s: string): boolean {
  return uriReference(s)?.scheme === true;
}

// ---- parsing the envelopes of one aggregate ---------------------------------------------

/** Checks decoded data; the generated Avro codecs are guards. */
export interface DataGuard<T> {
  isValid(value: unknown): value is T;
}

/** CloudEvents type → data version → guard of that version's data. */
export type EnvelopeGuards = { readonly [type: string]: { readonly [version: number]: DataGuard<unknown> } };

type Guarded<G> = G extends DataGuard<infer T> ? T : never;

/** The union of envelopes a guard table accepts: one member per type and version. */
export type EnvelopeOf<G extends EnvelopeGuards> = {
  [T in keyof G & string]: { [V in keyof G[T] & number]: CloudEvent<T, Guarded<G[T][V]>, V> }[keyof G[T] & number];
}[keyof G & string];

/**
 * Checks an incoming envelope against one aggregate's events (or commands): the attributes
 * ({@link validateEnvelope}), that `type` and `dataversion` name a version in `guards`, that
 * `dataschema` names the same version, and that `data` (already decoded) is valid for it.
 * `owner` names the aggregate in messages, `what` the kind of message `guards` lists.
 */
export function parseEnvelope<G extends EnvelopeGuards>(raw: unknown, guards: G, owner: string, what: 'events' | 'commands' = 'events'): ValidationResult<EnvelopeOf<G>> {
  const checked = validateEnvelope(raw);
  if (!checked.ok) return checked;
  const event = checked.value;
  const versions = Object.hasOwn(guards, event.type) ? guards[event.type] : undefined;
  if (!versions) {
    const known = Object.keys(guards).map((k) => describe(k));
    return { ok: false, errors: [`type: ${describe(event.type)} is not one of ${owner}'s ${what}; expected ${known.join(', ')}`] };
  }
  const guard = Object.hasOwn(versions, event.dataversion) ? versions[event.dataversion] : undefined;
  if (!guard) {
    const known = Object.keys(versions).join(', ');
    return { ok: false, errors: [`dataversion: ${event.type} has no version ${event.dataversion}; known versions: ${known}`] };
  }
  const errors: string[] = [];
  const schema = dataschemaFor(event.type, event.dataversion);
  if (event.dataschema !== schema) errors.push(`dataschema: must be '${schema}' for version ${event.dataversion}, got ${describe(event.dataschema)}`);
  if (!guard.isValid(event.data)) errors.push(`data: not valid data of ${event.type} version ${event.dataversion}`);
  if (errors.length > 0) return { ok: false, errors };
  // Checked above: the type and version are keys of `guards` and the data passed their guard.
  return { ok: true, value: event as EnvelopeOf<G> };
}
