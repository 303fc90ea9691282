// The keys of every object kind in the DSL, in one place. The resolver reads keys through these
// names and test/validate/schema-sync.test.ts checks they equal the `properties` the JSON Schema
// declares, so a key added to the schema but not the resolver (or the reverse) fails a test
// instead of being silently ignored or silently rejected.
//
// Naming: the kind `fooBar` is the schema definition `FooBar`; `spec` is the schema root.

export const dslKeys = {
  /** The top level of a spec file. */
  spec: ['domain', 'source', 'compatibility', 'storage', 'types', 'aggregates', 'sagas', 'reactions', 'projections', 'doc', 'allowBreaking'],
  /** `storage`: how the generated repositories store events. */
  storage: ['encoding'],
  /** `types.<Name>` with `fields`. */
  recordType: ['fields', 'aliases', 'doc'],
  /** `types.<Name>` with `enum`. */
  enumType: ['enum', 'default', 'aliases', 'doc'],
  /** `types.<Name>` with `fixed`. */
  fixedType: ['fixed', 'aliases', 'doc'],
  /** A field written as a mapping with `type`. */
  typedField: ['type', 'default', 'aliases', 'doc'],
  /** A field written as `{ enum: [...] }`. */
  inlineEnumField: ['enum', 'default', 'doc'],
  /** `aggregates.<Name>`. */
  aggregate: ['id', 'topic', 'commandTopic', 'state', 'snapshotEvery', 'events', 'commands', 'doc'],
  /** `aggregates.<A>.events.<Name>`. */
  event: ['versions', 'apply', 'doc'],
  /** `aggregates.<A>.events.<E>.versions[n]`. */
  eventVersion: ['fields', 'upcast', 'doc', 'allowBreaking'],
  /** `allowBreaking[n]` at the top level: a deliberate breaking change for `eventsmith check`. */
  allowBreakingEntry: ['rule', 'path', 'reason'],
  /** `versions[n].allowBreaking[m]`: a deliberate breaking change of that event version. */
  versionAllowBreakingEntry: ['rule', 'reason'],
  /** An apply rule written as a mapping whose only key is one of these. */
  applyOperation: ['set', 'append', 'increment'],
  /** `{ const: v }`: an explicit literal in an apply or upcast expression. */
  literalExpr: ['const'],
  /** `aggregates.<A>.commands.<Name>`. */
  command: ['versions', 'emits', 'doc'],
  /** `aggregates.<A>.commands.<C>.versions[n]`. */
  commandVersion: ['fields', 'upcast', 'doc', 'allowBreaking'],
  /** `sagas.<Name>`. */
  saga: ['startedBy', 'correlation', 'timeout', 'retry', 'steps', 'onCompleted', 'onCompensated', 'doc'],
  /** `sagas.<S>.retry`. */
  retryPolicy: ['maxAttempts', 'backoff'],
  /** `sagas.<S>.steps[n]`. */
  sagaStep: ['name', 'command', 'to', 'data', 'succeedsOn', 'failsOn', 'compensation', 'timeout'],
  /** `sagas.<S>.steps[n].compensation` written as a mapping. */
  compensation: ['command', 'to', 'data', 'succeedsOn', 'failsOn'],
  /** `sagas.<S>.onCompleted` / `onCompensated` written as a mapping. */
  commandSend: ['command', 'to', 'data'],
  /** `reactions[n]`. */
  reaction: ['name', 'on', 'send', 'to', 'data', 'doc'],
  /** `projections.<Name>`. */
  projection: ['doc', 'table', 'key', 'columns', 'indexes', 'on'],
  /** `projections.<P>.on.<A.E>` as `{ insert }`, `{ upsert }`, `{ update, where? }`, `{ delete: true, where? }`. */
  projectionInsert: ['insert'],
  projectionUpsert: ['upsert'],
  projectionUpdate: ['update', 'where'],
  projectionDelete: ['delete', 'where'],
} as const satisfies Record<string, readonly string[]>;

export type DslObjectKind = keyof typeof dslKeys;
export type DslKey<K extends DslObjectKind> = (typeof dslKeys)[K][number];
/** A validated DSL object of kind K, for reading keys without typos: `(o as DslObject<'aggregate'>).topic`. */
export type DslObject<K extends DslObjectKind> = { readonly [P in DslKey<K>]?: unknown };
