// The keys of every object kind in the DSL, in one place. The resolver reads keys through these
// names and test/validate/schema-sync.test.ts checks they equal the `properties` the JSON Schema
// declares, so a key added to the schema but not the resolver (or the reverse) fails a test
// instead of being silently ignored or silently rejected.
//
// Naming: the kind `fooBar` is the schema definition `FooBar`; `spec` is the schema root.

export const dslKeys = {
  /** The top level of a spec file. */
  spec: ['domain', 'source', 'compatibility', 'storage', 'types', 'aggregates', 'sagas', 'doc', 'allowBreaking'],
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
  aggregate: ['id', 'topic', 'state', 'snapshotEvery', 'events', 'doc'],
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
  /** `sagas.<Name>`. */
  saga: ['startedBy', 'correlation', 'timeout', 'steps', 'onCompleted', 'onCompensated', 'doc'],
  /** `sagas.<S>.steps[n]`. */
  sagaStep: ['name', 'command', 'succeedsOn', 'failsOn', 'compensation', 'timeout'],
} as const satisfies Record<string, readonly string[]>;

export type DslObjectKind = keyof typeof dslKeys;
export type DslKey<K extends DslObjectKind> = (typeof dslKeys)[K][number];
/** A validated DSL object of kind K, for reading keys without typos: `(o as DslObject<'aggregate'>).topic`. */
export type DslObject<K extends DslObjectKind> = { readonly [P in DslKey<K>]?: unknown };
