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
  /** Kafka topic of the aggregate's commands: `commandTopic`, default `<topic>.commands`. */
  readonly commandTopic: string;
  /** Commands the aggregate receives, in spec order (may be empty). */
  readonly commands: readonly Command[];
  /** Snapshot the state every this many events (>= 1); absent: no snapshots, every load replays the stream. */
  readonly snapshotEvery?: number;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

/**
 * A command: a named, versioned, Avro-typed request addressed to one aggregate, carried over
 * Kafka as a CloudEvent like an event. Its versions are upcast like an event's; the receiving
 * aggregate's decider turns the latest version into events, only those in `emits`.
 */
export interface Command {
  readonly kind: 'command';
  /** PascalCase, imperative: `ReserveStock`. */
  readonly name: string;
  readonly aggregateName: string;
  /** CloudEvents type: `<domain>.<aggregate-kebab>.command.<command-kebab>`, e.g. `com.example.orders.inventory.command.reserve-stock`. */
  readonly ceType: string;
  /** Kafka topic the command is sent on: the aggregate's `commandTopic`. */
  readonly topic: string;
  readonly versions: readonly CommandVersion[];
  /** Events of the same aggregate the decider may return, in spec order (never empty). */
  readonly emits: readonly DomainEvent[];
  readonly doc?: string;
  readonly loc: SourceLocation;
}

/** One version of a command's data; the same shape as an event version. */
export interface CommandVersion {
  readonly kind: 'commandVersion';
  /** 1-based. */
  readonly version: number;
  readonly fields: readonly Field[];
  /** How this version is produced from version n-1. Absent on version 1. */
  readonly upcast?: Upcast;
  readonly doc?: string;
  /** `<CommandName>V<n>`: the TypeScript type of this version (the Avro record name is the command name). */
  readonly typeName: string;
  readonly loc: SourceLocation;
}

/** What events and commands share: a versioned, Avro-typed message of one aggregate. */
export type Message = DomainEvent | Command;
export type MessageVersion = EventVersion | CommandVersion;

/** An ISO-8601 duration, with its length (years and months are refused: they have none). */
export interface Duration {
  readonly kind: 'duration';
  /** As written: `PT15M`. */
  readonly iso: string;
  /** Milliseconds, > 0. */
  readonly ms: number;
}

/** Whose data a saga or reaction expression reads. */
export type DataSource =
  /** `$start.…`: the event that started the saga, at its latest version. */
  | { readonly kind: 'start' }
  /** `$steps.<step>.…`: the event that completed an earlier step (one of its `succeedsOn`, all of which have the field). */
  | { readonly kind: 'step'; readonly step: string }
  /** `$.…` (and `$aggregateId`) in a reaction: the event that triggered it, at its latest version. */
  | { readonly kind: 'trigger' };

/**
 * A value sent with a command (`data`, `to`), computed from what a saga or reaction knows.
 * Every expression was type-checked against its target when the spec was resolved; `type` is
 * the type of what is read, which the target accepts by resolve/expr.ts `assignable`.
 */
export type DataExpr =
  /**
   * A field of the source event's data: `$start.items[0].productId` → source start, path
   * ['items', 0, 'productId']. A number indexes a list: the element must be there when the value
   * is used, which generated code checks (the resolver cannot).
   */
  | { readonly kind: 'eventField'; readonly source: DataSource; readonly path: readonly (string | number)[]; readonly type: TypeRef }
  /** The aggregate id of the source event (`$start.aggregateId`, `$steps.<s>.aggregateId`, `$aggregateId`); `type` is that aggregate's id type. */
  | { readonly kind: 'aggregateId'; readonly source: DataSource; readonly type: TypeRef }
  /** `$sagaId`: the saga instance's id, i.e. the value its correlation reads from the start event (`type` is that value's type). */
  | { readonly kind: 'sagaId'; readonly type: TypeRef }
  | { readonly kind: 'literal'; readonly value: Value }
  /** Record construction; every field of the record, omitted ones from their defaults (as literals). */
  | { readonly kind: 'object'; readonly fields: readonly { readonly name: string; readonly expr: DataExpr }[] };

/** One field of the data a command is sent with. */
export interface DataAssignment {
  readonly kind: 'dataAssignment';
  /** A field of the command's latest version. */
  readonly target: Field;
  readonly expr: DataExpr;
  readonly loc: SourceLocation;
}

export type CommandData =
  /** Every field of the command's latest version, in order: the spec's mapping, else the field's default. */
  | { readonly kind: 'declarative'; readonly assignments: readonly DataAssignment[]; readonly loc: SourceLocation }
  /** `data: custom`: a hand-written, typed function builds the data. */
  | { readonly kind: 'custom'; readonly loc: SourceLocation };

/** A command a saga or reaction sends: which, to which aggregate, with what data (always its latest version). */
export interface CommandSend {
  readonly kind: 'commandSend';
  readonly command: Command;
  /** The target aggregate's id: the Kafka key, subject and partitionkey. Defaults made explicit (`$sagaId` in a saga, `$aggregateId` in a reaction). */
  readonly to: DataExpr;
  /** The target aggregate's id type, which `to` was checked against. */
  readonly toType: TypeRef;
  readonly data: CommandData;
  readonly loc: SourceLocation;
}

/** How the saga undoes a step: a command, and the events that say it was (or could not be) undone. */
export interface SagaCompensation {
  readonly kind: 'compensation';
  readonly send: CommandSend;
  /**
   * Events that confirm the compensation. Default: the compensating command's `emits` that are
   * not in `failsOn`. Empty only when the spec says `succeedsOn: []`: the compensation is sent and
   * not waited for.
   */
  readonly succeedsOn: readonly DomainEvent[];
  /** Default: none (the compensation is resent on timeout, then the saga is parked). */
  readonly failsOn: readonly DomainEvent[];
  readonly loc: SourceLocation;
}

export interface SagaStep {
  readonly kind: 'sagaStep';
  /** camelCase, unique in the saga. */
  readonly name: string;
  readonly send: CommandSend;
  /** Events (all in the command's `emits`) that complete the step; never empty. */
  readonly succeedsOn: readonly DomainEvent[];
  /** Events (all in the command's `emits`) that fail it and start compensation; never empty. */
  readonly failsOn: readonly DomainEvent[];
  readonly compensation?: SagaCompensation;
  readonly timeout?: Duration;
  readonly loc: SourceLocation;
}

/** Resends of a command (a step's or a compensation's) before it counts as timed out. */
export interface RetryPolicy {
  readonly kind: 'retry';
  /** >= 1; default 3. */
  readonly maxAttempts: number;
  /** Wait between resends; default PT1S. */
  readonly backoff: Duration;
}

/** How each message finds its saga instance: the value the saga id is made of. */
export type SagaCorrelation =
  /** The start event's aggregate id (of type `type`). */
  | { readonly kind: 'aggregateId'; readonly type: TypeRef }
  /** `$.<path>` of the start event's latest version; a string, uuid, int or long, never null. */
  | { readonly kind: 'field'; readonly path: readonly string[]; readonly type: TypeRef };

export interface Saga {
  readonly kind: 'saga';
  readonly name: string;
  readonly startedBy: DomainEvent;
  readonly correlation: SagaCorrelation;
  /** Whole-saga deadline. */
  readonly timeout?: Duration;
  readonly retry: RetryPolicy;
  readonly steps: readonly SagaStep[];
  readonly onCompleted?: CommandSend;
  readonly onCompensated?: CommandSend;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

/** Choreography: when `on` happens, send a command. */
export interface Reaction {
  readonly kind: 'reaction';
  /** camelCase, unique in the domain; default `<event camelCase>Sends<Command>` (`orderCancelledSendsReleaseStock`). */
  readonly name: string;
  readonly on: DomainEvent;
  readonly send: CommandSend;
  readonly doc?: string;
  readonly loc: SourceLocation;
}

/** What a projection rule reads besides literals: the event's data (an Expr) or its metadata. */
export type ProjectionValue =
  | { readonly kind: 'expr'; readonly expr: Expr }
  /**
   * `$subject` (the aggregate id, of the aggregate's id type), `$time` (when it occurred,
   * timestamp-millis), `$version` (the stream version, int), `$eventId` (uuid).
   */
  | { readonly kind: 'meta'; readonly name: ProjectionMeta; readonly type: TypeRef }
  /**
   * `{ count: $.list }` (the number of items, an int) or `{ sum: field, of: $.list }` (the sum of
   * a number field of the items, of that field's type): rules cannot otherwise read list items.
   */
  | { readonly kind: 'listAggregate'; readonly op: 'count' | 'sum'; readonly list: readonly string[]; readonly field?: readonly string[]; readonly type: TypeRef };

export type ProjectionMeta = 'subject' | 'time' | 'version' | 'eventId';

/** One column of a projection's table; `field.name` is the camelCase row property. */
export interface ProjectionColumn {
  readonly kind: 'projectionColumn';
  readonly field: Field;
  /** snake_case SQL name. */
  readonly column: string;
  /** Exact PostgreSQL type: `numeric(12,2)`, `bigint`, `timestamptz`, `text[]`, ... */
  readonly sqlType: string;
  /** `T?` columns are nullable; others NOT NULL. */
  readonly nullable: boolean;
}

export interface ProjectionAssignment {
  readonly kind: 'projectionAssignment';
  readonly column: ProjectionColumn;
  readonly op: 'set' | 'append' | 'increment';
  readonly value: ProjectionValue;
  /** `append` of a whole list (true) or one element (false). */
  readonly spread?: boolean;
  readonly loc: SourceLocation;
}

/**
 * What one event does to the table. insert/upsert set the key (and every NOT NULL column without a
 * default, for a new row); update and delete address the row by `where` (default `$subject`).
 */
export type ProjectionRule =
  | { readonly kind: 'insert' | 'upsert'; readonly event: DomainEvent; readonly assignments: readonly ProjectionAssignment[]; readonly loc: SourceLocation }
  | { readonly kind: 'update'; readonly event: DomainEvent; readonly where: ProjectionValue; readonly assignments: readonly ProjectionAssignment[]; readonly loc: SourceLocation }
  | { readonly kind: 'delete'; readonly event: DomainEvent; readonly where: ProjectionValue; readonly loc: SourceLocation }
  /** A user-owned typed handler receives the event and the transaction. */
  | { readonly kind: 'custom'; readonly event: DomainEvent; readonly loc: SourceLocation };

/** A read model: a table kept by rules per event, with a runner, typed queries and a rebuild. */
export interface Projection {
  readonly kind: 'projection';
  /** PascalCase; the row type is `<Name>Row`. */
  readonly name: string;
  /** SQL table name (snake_case), unique across the run. */
  readonly table: string;
  readonly key: ProjectionColumn;
  /** Every column in spec order, the key included. */
  readonly columns: readonly ProjectionColumn[];
  /** Columns with a btree index (the typed list filters on the key and these). */
  readonly indexes: readonly ProjectionColumn[];
  /** One rule per event, in spec order. */
  readonly rules: readonly ProjectionRule[];
  /**
   * Hash of everything that decides the table's content (columns, key, indexes, rules): when it
   * changes, the stored table no longer matches the spec and needs a rebuild.
   */
  readonly fingerprint: string;
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
  /** Top-level `reactions`, in spec order. */
  readonly reactions: readonly Reaction[];
  /** `projections`, in spec order (may be empty). */
  readonly projections: readonly Projection[];
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
