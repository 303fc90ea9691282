// Small hand-built models for emitter table tests: the resolver is tested on its own, and
// these keep emitter tests independent of it. `ordersDomain` is the DESIGN.md example.
import type {
  Aggregate,
  Apply,
  Command,
  CommandVersion,
  Domain,
  DomainEvent,
  EnumType,
  EventVersion,
  Field,
  FixedType,
  LogicalName,
  Model,
  PrimitiveName,
  RecordType,
  SourceLocation,
  TypeRef,
  Value,
} from '../../generator/core/model.js';
import { ceType, inlineEnumName, versionTypeName } from '../../generator/core/names.js';
import { commandCeType } from '../../generator/core/names-commands.js';

export const loc: SourceLocation = { file: 'input.yaml', line: 1, col: 1, path: '' };

export const t = {
  prim: (name: PrimitiveName): TypeRef => ({ kind: 'primitive', name }),
  logical: (name: LogicalName): TypeRef => ({ kind: 'logical', name }),
  decimal: (precision: number, scale: number): TypeRef => ({ kind: 'decimal', precision, scale }),
  array: (items: TypeRef): TypeRef => ({ kind: 'array', items }),
  map: (values: TypeRef): TypeRef => ({ kind: 'map', values }),
  opt: (type: TypeRef): TypeRef => ({ kind: 'optional', type }),
  named: (type: RecordType | EnumType | FixedType): TypeRef => ({ kind: 'named', type }),
};

export function field(name: string, type: TypeRef, extra: { default?: Value; doc?: string } = {}): Field {
  return {
    kind: 'field',
    name,
    type,
    aliases: [],
    loc,
    ...(extra.doc !== undefined ? { doc: extra.doc } : {}),
    ...('default' in extra ? { default: { value: extra.default ?? null } } : {}),
  };
}

export function record(name: string, fields: readonly Field[], doc?: string): RecordType {
  return { kind: 'record', name, fields, aliases: [], loc, ...(doc !== undefined ? { doc } : {}) };
}

export function enumType(name: string, symbols: readonly string[], extra: { default?: string; doc?: string; inline?: boolean } = {}): EnumType {
  return {
    kind: 'enum',
    name,
    symbols,
    aliases: [],
    inline: extra.inline ?? false,
    loc,
    ...(extra.default !== undefined ? { default: extra.default } : {}),
    ...(extra.doc !== undefined ? { doc: extra.doc } : {}),
  };
}

export function fixed(name: string, size: number, doc?: string): FixedType {
  return { kind: 'fixed', name, size, aliases: [], loc, ...(doc !== undefined ? { doc } : {}) };
}

export function inlineEnum(owner: string, fieldName: string, symbols: readonly string[]): TypeRef {
  return t.named(enumType(inlineEnumName(owner, fieldName), symbols, { inline: true }));
}

export function event(
  domain: string,
  aggregate: string,
  name: string,
  versions: readonly { fields: readonly Field[]; doc?: string }[],
  doc?: string,
): DomainEvent {
  const apply: Apply = { kind: 'none' };
  return {
    kind: 'event',
    name,
    aggregateName: aggregate,
    ceType: ceType(domain, aggregate, name),
    versions: versions.map(
      (v, i): EventVersion => ({
        kind: 'eventVersion',
        version: i + 1,
        fields: v.fields,
        typeName: versionTypeName(name, i + 1),
        loc,
        ...(v.doc !== undefined ? { doc: v.doc } : {}),
        ...(i > 0 ? { upcast: { kind: 'custom', loc } } : {}),
      }),
    ),
    apply,
    loc,
    ...(doc !== undefined ? { doc } : {}),
  };
}

/** A command whose versions after the first are `upcast: custom`, like `event`'s. */
export function command(
  domain: string,
  aggregate: string,
  name: string,
  versions: readonly { fields: readonly Field[]; doc?: string }[],
  emits: readonly DomainEvent[],
  doc?: string,
): Command {
  return {
    kind: 'command',
    name,
    aggregateName: aggregate,
    ceType: commandCeType(domain, aggregate, name),
    topic: `${aggregate.toLowerCase()}.commands`,
    versions: versions.map(
      (v, i): CommandVersion => ({
        kind: 'commandVersion',
        version: i + 1,
        fields: v.fields,
        typeName: versionTypeName(name, i + 1),
        loc,
        ...(v.doc !== undefined ? { doc: v.doc } : {}),
        ...(i > 0 ? { upcast: { kind: 'custom', loc } } : {}),
      }),
    ),
    emits,
    loc,
    ...(doc !== undefined ? { doc } : {}),
  };
}

export function aggregate(
  name: string,
  idType: TypeRef,
  state: readonly Field[],
  events: readonly DomainEvent[],
  doc?: string,
  commands: readonly Command[] = [],
): Aggregate {
  const topic = name.toLowerCase();
  return { kind: 'aggregate', name, idType, topic, state, events, commandTopic: `${topic}.commands`, commands, loc, ...(doc !== undefined ? { doc } : {}) };
}

export function domain(name: string, types: Domain['types'], aggregates: readonly Aggregate[], extra: { doc?: string; source?: string } = {}): Domain {
  return {
    kind: 'domain',
    name,
    source: extra.source ?? 'urn:example:service',
    compatibility: 'BACKWARD',
    storage: { kind: 'storage', encoding: 'avro' },
    types,
    aggregates,
    sagas: [],
    reactions: [],
    projections: [],
    file: 'input.yaml',
    loc,
    ...(extra.doc !== undefined ? { doc: extra.doc } : {}),
  };
}

export function model(...domains: Domain[]): Model {
  return { kind: 'model', domains };
}

/** The example of DESIGN.md: `events/orders.yaml`. */
export function ordersDomain(): Domain {
  const d = 'com.example.orders';
  const money = record('Money', [field('amount', t.decimal(12, 2)), field('currency', t.prim('string'), { default: 'USD' })]);
  const orderItem = record('OrderItem', [field('productId', t.prim('string')), field('quantity', t.prim('int')), field('unitPrice', t.named(money))]);
  const order = aggregate(
    'Order',
    t.logical('uuid'),
    [
      field('status', inlineEnum('OrderState', 'status', ['draft', 'placed', 'confirmed', 'cancelled']), { default: 'draft' }),
      field('customerId', t.opt(t.prim('string'))),
      field('items', t.array(t.named(orderItem)), { default: [] }),
      field('total', t.opt(t.named(money))),
    ],
    [
      event(d, 'Order', 'OrderPlaced', [
        { fields: [field('customerId', t.prim('string')), field('items', t.array(t.named(orderItem))), field('amount', t.decimal(12, 2))] },
        { fields: [field('customerId', t.prim('string')), field('items', t.array(t.named(orderItem))), field('total', t.named(money))] },
      ]),
      event(d, 'Order', 'OrderConfirmed', [{ fields: [field('confirmedAt', t.logical('timestamp-millis'))] }]),
      event(d, 'Order', 'OrderCancelled', [{ fields: [field('reason', t.prim('string'))] }]),
    ],
  );
  return domain(d, [money, orderItem], [order], { source: 'urn:example:order-service' });
}
