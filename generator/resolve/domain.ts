// One spec file → one domain: its header, named types, aggregates and the output names they
// claim. Sagas are resolved later, when the events of every domain are known.
import type { Diagnostics } from '../core/diagnostics.js';
import type { CompatibilityMode, EnumType, NamedType, Storage, StorageEncoding } from '../core/model.js';
import { eventUnionTypeName, namePatterns, stateTypeName } from '../core/names.js';
import { kafkaTypeNames, topicHandlersTypeName } from '../core/names-kafka.js';
import {
  eventInputTypeName,
  repositoryFactoryName,
  repositoryRuntimeValues,
  repositoryTypeName,
  stateCodecName,
  stateSchemaConstName,
} from '../core/names-repository.js';
import type { LoadedSpec } from '../load/index.js';
import { declareAggregate, type AggregateDraft } from './aggregates.js';
import { NameTable } from './collisions.js';
import { claimCommandNames } from './command-names.js';
import { asString, describeValue, entriesOf, get, isMapping, SpecContext, type UnresolvedFields } from './context.js';
import { findUnbounded } from './recursion.js';
import { declareType, resolveRecordFields, type DeclaredType, type FieldDefaults, type TypeScope } from './types.js';

export const compatibilityModes: readonly CompatibilityMode[] = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
];

export interface DomainDraft {
  readonly ctx: SpecContext;
  readonly name: string;
  readonly source: string;
  readonly compatibility: CompatibilityMode;
  readonly storage: Storage;
  readonly doc?: string;
  readonly types: readonly NamedType[];
  readonly inlineEnums: readonly EnumType[];
  readonly aggregates: readonly AggregateDraft[];
}

export function declareDomain(spec: LoadedSpec, diags: Diagnostics, defaults: FieldDefaults, unresolved: UnresolvedFields): DomainDraft {
  const ctx = new SpecContext(spec, diags, unresolved);
  const data = isMapping(spec.data) ? spec.data : {};
  const rawName = get(data, 'domain');
  const name = typeof rawName === 'string' ? rawName : '';
  if (!namePatterns.domain.test(name)) {
    const shown = rawName === undefined ? 'is missing' : `${describeValue(rawName)} is not valid`;
    ctx.error('ES3016', `domain name ${shown}: expected dot-separated lower-case segments such as com.example.orders`, ['domain']);
  }
  const rawSource = get(data, 'source');
  const source = typeof rawSource === 'string' ? rawSource : '';
  if (!/^[^\s\u0000-\u001f\u007f]+$/.test(source)) {
    const shown = rawSource === undefined ? 'is missing' : `${describeValue(rawSource)} is not valid`;
    ctx.error('ES3017', `CloudEvents source ${shown}: expected a non-empty URI reference without spaces, such as urn:example:order-service`, ['source']);
  }
  const rawCompat = get(data, 'compatibility') ?? 'BACKWARD';
  const compatibility = compatibilityModes.find((m) => m === rawCompat);
  if (!compatibility) {
    ctx.error('ES2005', `compatibility ${describeValue(rawCompat)} is not one of ${compatibilityModes.join(', ')}`, ['compatibility']);
  }

  const storage = resolveStorage(get(data, 'storage'), ctx);

  const rawAggregates = get(data, 'aggregates');
  const named = new Map<string, NamedType>();
  const scope: TypeScope = {
    ctx,
    named,
    aggregateNames: new Set(isMapping(rawAggregates) ? Object.keys(rawAggregates) : []),
    defaults,
    inlineEnums: [],
  };
  const table = new NameTable(diags);
  const declared: DeclaredType[] = [];
  for (const [typeName, typeSpec] of entriesOf(get(data, 'types'))) {
    const d = declareType(typeName, typeSpec, ['types', typeName], scope);
    if (!d) continue;
    declared.push(d);
    named.set(typeName, d.type);
    table.add(typeName, `type ${typeName}`, true, ctx.loc(['types', typeName]));
  }
  for (const d of declared) resolveRecordFields(d, scope);
  for (const u of findUnbounded(declared.map((d) => d.type))) {
    ctx.error('ES3009', `type ${u.type.name} has no finite value: ${u.reason}; make one of these fields optional, a list or a map`, ['types', u.type.name], 'key');
  }

  if (!isMapping(rawAggregates) || Object.keys(rawAggregates).length === 0) {
    ctx.error('ES2003', 'a spec needs at least one aggregate under `aggregates`', rawAggregates === undefined ? [] : ['aggregates'], 'key');
  }
  const aggregates: AggregateDraft[] = [];
  for (const [aggName, aggSpec] of entriesOf(rawAggregates)) {
    const path = ['aggregates', aggName];
    table.add(aggName, `aggregate ${aggName}`, true, ctx.loc(path));
    const a = declareAggregate(name, aggName, aggSpec, path, scope);
    if (a) aggregates.push(a);
  }
  claimDerivedNames(aggregates, scope.inlineEnums, table, ctx);
  const doc = asString(get(data, 'doc'));
  return {
    ctx,
    name,
    source,
    compatibility: compatibility ?? 'BACKWARD',
    storage,
    ...(doc !== undefined ? { doc } : {}),
    types: declared.map((d) => d.type),
    inlineEnums: scope.inlineEnums,
    aggregates,
  };
}

const storageEncodings: readonly StorageEncoding[] = ['avro', 'json'];

/** `storage: { encoding }`, default Avro binary. The schema has checked the shape already. */
function resolveStorage(raw: unknown, ctx: SpecContext): Storage {
  const rawEncoding = isMapping(raw) ? (get(raw, 'encoding') ?? 'avro') : 'avro';
  const encoding = storageEncodings.find((e) => e === rawEncoding);
  if (!encoding) ctx.error('ES2005', `storage encoding ${describeValue(rawEncoding)} is not one of ${storageEncodings.join(', ')}`, ['storage', 'encoding']);
  return { kind: 'storage', encoding: encoding ?? 'avro' };
}

/** TypeScript and Avro names generated per domain must not clash with each other or with declared names. */
function claimDerivedNames(aggregates: readonly AggregateDraft[], inlineEnums: readonly EnumType[], table: NameTable, ctx: SpecContext): void {
  // Values of repository.ts: the runtime functions it imports must not be shadowed by a derived name.
  const values = new NameTable(ctx.diags);
  for (const name of repositoryRuntimeValues) values.add(name, `the runtime function ${name}`, false, ctx.loc([]));
  // kafka.ts declares these once and imports the spec's modules as namespaces, so only these can clash.
  for (const name of Object.values(kafkaTypeNames)) table.add(name, `the ${name} type of kafka.ts`, false, ctx.loc([]));
  for (const a of aggregates) {
    const at = ctx.loc(a.path);
    table.add(stateTypeName(a.name), `the state type of aggregate ${a.name}`, false, at);
    table.add(eventUnionTypeName(a.name), `the event union of aggregate ${a.name}`, false, at);
    table.add(repositoryTypeName(a.name), `the repository type of aggregate ${a.name}`, false, at);
    table.add(eventInputTypeName(a.name), `the append input type of aggregate ${a.name}`, false, at);
    values.add(repositoryFactoryName(a.name), `the repository factory of aggregate ${a.name}`, false, at);
    values.add(stateSchemaConstName(a.name), `the state schema of aggregate ${a.name}`, false, at);
    values.add(stateCodecName(a.name), `the state codec of aggregate ${a.name}`, false, at);
    table.add(topicHandlersTypeName(a.name), `the Kafka handlers type of aggregate ${a.name}`, false, at);
    for (const e of a.events) {
      table.add(e.name, `the latest-version type of event ${a.name}.${e.name}`, false, ctx.loc(e.path));
      for (const v of e.versions) {
        table.add(v.typeName, `version ${v.version} of event ${a.name}.${e.name}`, false, ctx.loc(v.path, 'value'));
      }
    }
    claimCommandNames(a, table, ctx);
  }
  // The same field's inline enum in several versions of one event is one Avro name by design
  // (each version's schema is separate); only a clash between different owners is a collision.
  const inlineOwner = new Map<string, string>();
  for (const en of inlineEnums) {
    const owner = en.loc.path.replace(/\.versions\[\d+\].*$/, '');
    if (inlineOwner.get(en.name) === owner) continue;
    inlineOwner.set(en.name, owner);
    table.add(en.name, `the inline enum of field ${en.loc.path}`, false, en.loc);
  }
}
