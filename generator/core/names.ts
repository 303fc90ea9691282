// All naming in one place: which names a spec may use, and every name the generator derives
// from them. Emitters call these functions instead of concatenating strings, so a rename of
// a derived name happens here once and the collision check in resolve stays in step.

/** Words that cannot name a variable or parameter in strict-mode JavaScript or TypeScript. */
export const reservedWords: ReadonlySet<string> = new Set([
  'arguments', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default',
  'delete', 'do', 'else', 'enum', 'eval', 'export', 'extends', 'false', 'finally', 'for', 'function',
  'if', 'implements', 'import', 'in', 'instanceof', 'interface', 'let', 'new', 'null', 'package',
  'private', 'protected', 'public', 'return', 'static', 'super', 'switch', 'this', 'throw', 'true',
  'try', 'typeof', 'undefined', 'var', 'void', 'while', 'with', 'yield', 'NaN', 'Infinity',
]);

/**
 * Names that mean something on every JavaScript object: as a property or lookup key they read
 * or replace the prototype's member instead of data (`__proto__` even sets the prototype).
 */
export const prototypeNames: ReadonlySet<string> = new Set([
  '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable',
  'toLocaleString', 'toString', 'valueOf', '__defineGetter__', '__defineSetter__', '__lookupGetter__',
  '__lookupSetter__',
]);

/** Global TypeScript types generated code refers to; a spec type of the same name would shadow them. */
export const reservedTypeNames: ReadonlySet<string> = new Set([
  'Array', 'ArrayBuffer', 'Awaited', 'BigInt', 'Boolean', 'Buffer', 'Date', 'Error', 'Exclude', 'Extract',
  'Function', 'Infinity', 'Iterable', 'Iterator', 'JSON', 'Map', 'Math', 'NaN', 'NonNullable', 'Number',
  'Object', 'Omit', 'Parameters', 'Partial', 'Pick', 'Promise', 'PropertyKey', 'Readonly', 'ReadonlyArray',
  'ReadonlyMap', 'ReadonlySet', 'Record', 'RegExp', 'Required', 'ReturnType', 'Set', 'String', 'Symbol',
  'Uint8Array', 'WeakMap', 'WeakSet',
]);

export const namePatterns = {
  /** Types, aggregates, events, sagas: TypeScript types and Avro names. */
  type: /^[A-Z][A-Za-z0-9]*$/,
  /** Fields and saga steps: properties, parameters, Avro fields and SQL-safe column names. */
  field: /^[a-z][A-Za-z0-9]*$/,
  /** Avro enum symbols. */
  symbol: /^[A-Za-z_][A-Za-z0-9_]*$/,
  /** Avro aliases of named types may be full names (`com.example.OldName`). */
  typeAlias: /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
  domain: /^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$/,
  topic: /^[a-zA-Z0-9._-]{1,249}$/,
} as const;

export type NameKind = 'type' | 'aggregate' | 'event' | 'command' | 'saga' | 'field' | 'step' | 'reaction' | 'symbol' | 'typeAlias';

const kindLabel: Record<NameKind, string> = {
  type: 'type name',
  aggregate: 'aggregate name',
  event: 'event name',
  command: 'command name',
  saga: 'saga name',
  field: 'field name',
  step: 'step name',
  reaction: 'reaction name',
  symbol: 'enum symbol',
  typeAlias: 'type alias',
};

/**
 * Why `name` cannot be used as a `kind`, or undefined when it can. The pattern is checked
 * here again even though the JSON Schema has it, because every emitter relies on it to keep
 * quotes, SQL and shell metacharacters out of generated code.
 */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  const label = kindLabel[kind];
  const shown = JSON.stringify(name);
  switch (kind) {
    case 'type':
    case 'aggregate':
    case 'event':
    case 'command':
    case 'saga':
      if (!namePatterns.type.test(name)) return `${label} ${shown} must be PascalCase: a capital letter, then letters and digits`;
      if (reservedTypeNames.has(name)) return `${label} ${shown} would shadow the built-in TypeScript type \`${name}\`; choose another name`;
      return undefined;
    case 'field':
    case 'step':
    case 'reaction':
      if (!namePatterns.field.test(name)) return `${label} ${shown} must be camelCase: a lower-case letter, then letters and digits`;
      if (reservedWords.has(name)) return `${label} ${shown} is a reserved word in JavaScript/TypeScript; choose another name`;
      if (prototypeNames.has(name)) return `${label} ${shown} is a member of every JavaScript object; choose another name`;
      return undefined;
    case 'symbol':
      if (!namePatterns.symbol.test(name)) return `${label} ${shown} must match ^[A-Za-z_][A-Za-z0-9_]*$ (Avro enum symbols)`;
      if (prototypeNames.has(name)) return `${label} ${shown} is a member of every JavaScript object; choose another name`;
      return undefined;
    case 'typeAlias':
      if (!namePatterns.typeAlias.test(name)) return `${label} ${shown} must be an Avro name or full name (letters, digits, _ and dots)`;
      return undefined;
  }
}

// ---- case conversion -------------------------------------------------------------------

/** `HTTPRequestV2` → ['HTTP', 'Request', 'V2']; `order_line-item` → ['order', 'line', 'item']. */
export function words(name: string): string[] {
  return name.match(/[A-Z]+(?![a-z])[0-9]*|[A-Z]?[a-z]+[0-9]*|[0-9]+/g) ?? [];
}

export function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const keptNames = 100_000;

/**
 * A case conversion whose results are kept: each is a function of the name alone, and every
 * emitter derives the same few names per event version again (codec, schema and fingerprint
 * constants, handlers, upcast steps), ~2% of a 1,000-version `generate` in `words` alone. A
 * process that generates many specs (a watch mode, a library user) starts the table again past
 * `keptNames` entries rather than keep every name it ever saw.
 */
function kept(convert: (name: string) => string): (name: string) => string {
  const known = new Map<string, string>();
  return (name) => {
    let out = known.get(name);
    if (out === undefined) {
      if (known.size >= keptNames) known.clear();
      known.set(name, (out = convert(name)));
    }
    return out;
  };
}

export const pascalCase: (name: string) => string = kept((name) => words(name).map(upperFirst).join(''));

export const camelCase: (name: string) => string = kept((name) => {
  const [first, ...rest] = words(name);
  return first === undefined ? '' : first.toLowerCase() + rest.map(upperFirst).join('');
});

export const kebabCase: (name: string) => string = kept((name) =>
  words(name)
    .map((w) => w.toLowerCase())
    .join('-'),
);

// ---- derived names ---------------------------------------------------------------------

/** Last segment of the domain: the output folder of the domain. */
export function domainSlug(domain: string): string {
  const dot = domain.lastIndexOf('.');
  return dot < 0 ? domain : domain.slice(dot + 1);
}

/** `com.example.orders` + `OrderLine` → `com.example.orders.order-line`. */
export function defaultTopic(domain: string, aggregate: string): string {
  return `${domain}.${kebabCase(aggregate)}`;
}

/** Why a topic name is not a valid Kafka topic, or undefined. */
export function topicProblem(topic: string): string | undefined {
  if (topic === '.' || topic === '..') return `topic ${JSON.stringify(topic)} is not allowed by Kafka`;
  if (!namePatterns.topic.test(topic)) {
    return `topic ${JSON.stringify(topic.length > 60 ? `${topic.slice(0, 60)}…` : topic)} must be 1 to 249 characters of letters, digits, '.', '_' and '-'`;
  }
  return undefined;
}

/**
 * CloudEvents type: `<domain>.<aggregate>.<event without the aggregate prefix>`, lower-cased.
 * The prefix is dropped only at a word boundary, so `Ord` + `OrderPlaced` keeps the whole name.
 */
export function ceType(domain: string, aggregate: string, event: string): string {
  const rest = event.slice(aggregate.length);
  const prefixed = event.startsWith(aggregate) && /^[A-Z0-9]/.test(rest);
  return `${domain}.${aggregate}.${prefixed ? rest : event}`.toLowerCase();
}

/** File name of a version's schema inside `<slug>/avro/`: `com.example.orders.order.placed.v2.avsc`. */
export function avscName(ceType: string, version: number): string {
  return `${ceType}.v${version}.avsc`;
}

/** Longest file or folder name (bytes) Linux and macOS file systems accept; generated names are checked against it. */
export const maxFileNameBytes = 255;

/** TypeScript type and Avro record name of one event version: `OrderPlacedV2`. */
export function versionTypeName(event: string, version: number): string {
  return `${event}V${version}`;
}

/** Type of an aggregate's state: `OrderState`. */
export function stateTypeName(aggregate: string): string {
  return `${aggregate}State`;
}

/** Union of the latest versions of an aggregate's events: `OrderEvent`. */
export function eventUnionTypeName(aggregate: string): string {
  return `${aggregate}Event`;
}

/** Name of an enum declared inline on a field: owner `OrderState` + `status` → `OrderStateStatus`. */
export function inlineEnumName(owner: string, field: string): string {
  return `${owner}${upperFirst(field)}`;
}

// Names in `<slug>/types.ts` and `<slug>/envelopes.ts`. Types share one namespace per domain
// with the spec's own type, event and `<Event>V<n>` names; values (constructors, codecs) share
// another, with the runtime's imports (`makeEnvelope`, `parseEnvelope`).

/** Type of an aggregate's id: `OrderId`. */
export function idTypeName(aggregate: string): string {
  return `${aggregate}Id`;
}

/** Constant listing an enum's symbols: `CurrencySymbols`. */
export function enumSymbolsName(enumName: string): string {
  return `${enumName}Symbols`;
}

/** Version number → data type of one event: `OrderPlacedVersions`. */
export function versionMapTypeName(event: string): string {
  return `${event}Versions`;
}

/** Constant of an aggregate's CloudEvents types by event name: `OrderEventTypes`. */
export function eventTypesConstName(aggregate: string): string {
  return `${aggregate}EventTypes`;
}

/** Union of every version of an aggregate's events: `OrderEventAnyVersion`. */
export function anyVersionUnionTypeName(aggregate: string): string {
  return `${aggregate}EventAnyVersion`;
}

/** CloudEvents envelope of an event's latest version: `OrderPlacedEnvelope`. */
export function envelopeTypeName(event: string): string {
  return `${event}Envelope`;
}

/** Union of the envelopes of every version of an aggregate's events: `OrderEnvelope`. */
export function envelopeUnionTypeName(aggregate: string): string {
  return `${aggregate}Envelope`;
}

/** Constructor of an event's envelope: `orderPlaced`; a reserved word gets an `Event` suffix (`Delete` → `deleteEvent`). */
export function envelopeConstructorName(event: string): string {
  const name = camelCase(event);
  return reservedWords.has(name) ? `${name}Event` : name;
}

/** Parser of incoming envelopes of one aggregate: `parseOrderEnvelope`. */
export function parseEnvelopeFunctionName(aggregate: string): string {
  return `parse${aggregate}Envelope`;
}

/** Table of an aggregate's event versions and their data checks, local to envelopes.ts: `orderEnvelopeGuards`. */
export function envelopeGuardsName(aggregate: string): string {
  return `${camelCase(aggregate)}EnvelopeGuards`;
}

/** Avro codec of one event version, exported by `<slug>/avro.ts`: `orderPlacedV1Codec`. */
export function codecName(event: string, version: number): string {
  return `${camelCase(event)}V${version}Codec`;
}

/** Avro schema object of one event version, exported by `<slug>/avro.ts`: `orderPlacedV1Schema`. */
export function avroSchemaConstName(event: string, version: number): string {
  return `${camelCase(event)}V${version}Schema`;
}

/** CRC-64-AVRO fingerprint (hex) of one event version's schema, exported by `<slug>/avro.ts`: `orderPlacedV1Fingerprint`. */
export function fingerprintConstName(event: string, version: number): string {
  return `${camelCase(event)}V${version}Fingerprint`;
}

// ---- suggestions -----------------------------------------------------------------------

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The closest candidate within a third of the name's length, ties broken alphabetically. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > 100) return undefined;
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === name || Math.abs(candidate.length - name.length) > limit) continue;
    const distance = Math.min(editDistance(name, candidate), editDistance(name.toLowerCase(), candidate.toLowerCase()) + 0.5);
    if (distance > limit) continue;
    if (!best || distance < best.distance || (distance === best.distance && candidate < best.name)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** `; did you mean \`Money\`?` or ''. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const hit = suggest(name, candidates);
  return hit === undefined ? '' : `; did you mean \`${hit}\`?`;
}
