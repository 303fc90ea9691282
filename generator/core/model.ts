// The resolved model: the one contract between parsing (load → validate → resolve) and
// emitting. Every node carries a `kind`, references are resolved to the objects they name,
// and the whole graph is deep-frozen by the resolver so no emitter can mutate it.

/** Where a node came from: the YAML file position plus its logical path in the spec. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Logical path such as `aggregates.Order.events.OrderPlaced.versions[1]`. */
  readonly path: string;
}

export type PrimitiveName = 'string' | 'int' | 'long' | 'float' | 'double' | 'boolean' | 'bytes';
export type LogicalName = 'uuid' | 'date' | 'time-millis' | 'timestamp-millis' | 'timestamp-micros';

export type TypeRef =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'logical'; readonly name: LogicalName }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'array'; readonly items: TypeRef }
  | { readonly kind: 'map'; readonly values: TypeRef }
  /** `T?`: an Avro union `["null", T]` whose default is null. */
  | { readonly kind: 'optional'; readonly type: TypeRef }
  /** A shared type from `types:` or an inline enum declared on a field. */
  | { readonly kind: 'named'; readonly type: NamedType };

/**
 * JSON-like value as written in YAML, already checked against the type it defaults.
 * Integers beyond 2^53 arrive as bigint so that long defaults are exact.
 * Normalised by resolve (see resolve/defaults.ts): long and timestamp-micros → bigint, decimal →
 * canonical text with `scale` fraction digits, timestamp-millis → epoch ms, records complete
 * in field order; record and map values are null-prototype objects.
 */
export type Value = null | boolean | number | bigint | string | readonly Value[] | { readonly [key: string]: Value };

export interface Field {
  readonly kind: 'field';
  readonly name: string;
  readonly type: TypeRef;
  /** Present only when the spec gives a default (`T?` fields get an implicit null default). */
  readonly default?: { readonly value: Value };
  readonly doc?: string;
  /** Former names of this field; they become Avro reader aliases. */
  readonly aliases: readonly string[];
  readonly loc: SourceLocation;
}

export interface RecordType {
  readonly kind: 'record';
  /** PascalCase name, also the TypeScript type name and the Avro record name. */
  readonly name: string;
  readonly fields: readonly Field[];
  readonly doc?: string;
  readonly aliases: readonly string[];
  readonly loc: SourceLocation;
}

export interface EnumType {
  readonly kind: 'enum';
  readonly name: string;
  readonly symbols: readonly string[];
  /** Avro enum default: the symbol a reader uses for symbols it does not know. */
  readonly default?: string;
  readonly doc?: string;
  readonly aliases: readonly string[];
  /** True for `{ enum: [...] }` written on a field rather than in `types:`. */
  readonly inline: boolean;
  readonly loc: SourceLocation;
}

export interface FixedType {
  readonly kind: 'fixed';
  readonly name: string;
  readonly size: number;
  readonly doc?: string;
  readonly aliases: readonly string[];
  readonly loc: SourceLocation;
}

export type NamedType = RecordType | EnumType | FixedType;

/**
 * A value computed by a declarative `apply` or `upcast` rule.
 * `ref` reads a field of the event (or earlier version) by path: `$.total.amount` → ['total','amount'].
 */
export type Expr =
  | { readonly kind: 'ref'; readonly path: readonly string[]; readonly type: TypeRef }
  | { readonly kind: 'literal'; readonly value: Value }
  | { readonly kind: 'object'; readonly fields: readonly { readonly name: string; readonly expr: Expr }[] };

export interface Assignment {
  readonly kind: 'assignment';
  /** The state field (for apply) or latest-version field (for upcast) being set. */
  readonly target: Field;
  /** `set` replaces, `append` concatenates an array, `increment` adds to a number. */
  readonly op: 'set' | 'append' | 'increment';
  readonly expr: Expr;
  /** Only for `append`: true when `expr` is a list whose elements are appended, false when it is one element. */
  readonly spread?: boolean;
  readonly loc: SourceLocation;
}

export type Apply =
  | { readonly kind: 'declarative'; readonly assignments: readonly Assignment[]; readonly loc: SourceLocation }
  | { readonly kind: 'custom'; readonly loc: SourceLocation }
  /** No `apply` key: the event does not change state. */
  | { readonly kind: 'none' };

/** How version n is produced from version n-1. Absent on version 1. */
export type Upcast =
  | {
      readonly kind: 'declarative';
      /** Every field of the newer version, with where its value comes from. */
      readonly assignments: readonly Assignment[];
      readonly loc: SourceLocation;
    }
  | { readonly kind: 'custom'; readonly loc: SourceLocation };

export interface EventVersion {
  readonly kind: 'eventVersion';
  /** 1-based. */
  readonly version: number;
  readonly fields: readonly Field[];
  readonly upcast?: Upcast;
  readonly doc?: string;
  /** `<EventName>V<n>`: the TypeScript type and Avro record name of this version. */
  readonly typeName: string;
  readonly loc: SourceLocation;
}

export interface DomainEvent {
  readonly kind: 'event';
  /** PascalCase, past tense: `OrderPlaced`. */
  readonly name: string;
  readonly aggregateName: string;
  /** CloudEvents type: `<domain>.<aggregate>.<event>` lower-cased, e.g. `com.example.orders.order.placed`. */
  readonly ceType: string;
  readonly versions: readonly EventVersion[];
  readonly apply: Apply;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

export interface Aggregate {
  readonly kind: 'aggregate';
  readonly name: string;
  /** Type of the aggregate id; also the Kafka key. */
  readonly idType: TypeRef;
  readonly topic: string;
  readonly state: readonly Field[];
  readonly events: readonly DomainEvent[];
  /** Snapshot the state every this many events (>= 1); absent: no snapshots, every load replays the stream. */
  readonly snapshotEvery?: number;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

/** A message name in a saga, `Aggregate.Message`; events resolve to objects, commands stay named until the command DSL lands. */
export interface MessageRef {
  readonly kind: 'messageRef';
  readonly aggregate: string;
  readonly name: string;
  /** Set when the reference names an event declared in the specs. */
  readonly event?: DomainEvent;
  readonly loc: SourceLocation;
}

export interface SagaStep {
  readonly kind: 'sagaStep';
  readonly name: string;
  readonly command: MessageRef;
  readonly succeedsOn: MessageRef;
  readonly failsOn: MessageRef;
  readonly compensation?: MessageRef;
  readonly timeout?: string;
  readonly loc: SourceLocation;
}

export interface Saga {
  readonly kind: 'saga';
  readonly name: string;
  readonly startedBy: MessageRef;
  readonly correlation: string;
  /** ISO-8601 duration such as `PT15M`. */
  readonly timeout?: string;
  readonly steps: readonly SagaStep[];
  readonly onCompleted?: MessageRef;
  readonly onCompensated?: MessageRef;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

export type CompatibilityMode =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';

/**
 * A deliberate breaking change declared in the spec (`allowBreaking`), read by `eventsmith
 * check`: a finding of `rule` at `path` is reported as allowed, with the reason, instead of
 * failing the check.
 */
export interface AllowBreaking {
  readonly kind: 'allowBreaking';
  /** A rule id of `eventsmith check` (generator/check/rules.ts); the DSL schema enumerates them. */
  readonly rule: string;
  /** Logical path of what the change touches; for an entry under an event version, that version's path. */
  readonly path: string;
  readonly reason: string;
  /** `version`: written under an event version; `spec`: at the top level, with an explicit path. */
  readonly declaredOn: 'version' | 'spec';
  readonly loc: SourceLocation;
}

/** Encoding of event data in the event store and the outbox: Avro binary or Avro's JSON encoding. */
export type StorageEncoding = 'avro' | 'json';

/** How the generated repositories store a domain's events (`storage:` in the spec). */
export interface Storage {
  readonly kind: 'storage';
  /** Default `avro`. Every stored row records its content type, so a change later keeps old rows readable. */
  readonly encoding: StorageEncoding;
}

/** One spec file after resolution. A project may have several; each has its own domain. */
export interface Domain {
  readonly kind: 'domain';
  /** Dotted, lower-case: also the Avro namespace and the CloudEvents type prefix. */
  readonly name: string;
  /** CloudEvents `source`. */
  readonly source: string;
  readonly compatibility: CompatibilityMode;
  readonly storage: Storage;
  /** Types from `types:` in YAML order, then inline enums (`inline: true`) in the order their fields appear. */
  readonly types: readonly NamedType[];
  readonly aggregates: readonly Aggregate[];
  readonly sagas: readonly Saga[];
  /** Top-level and per-version `allowBreaking` entries in document order; absent when there are none. */
  readonly allowBreaking?: readonly AllowBreaking[];
  readonly doc?: string;
  readonly file: string;
  readonly loc: SourceLocation;
}

export interface Model {
  readonly kind: 'model';
  /** Sorted by domain name so output order never depends on argument order. */
  readonly domains: readonly Domain[];
}
