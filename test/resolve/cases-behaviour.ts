// Error cases for aggregates, events, apply/upcast rules and names across domains (sagas: cases-sagas.ts).
import { agg, type Case } from './cases-types.js';

/** Order with a Money type and state, for apply and upcast cases; body lines 3–14. */
const orderSpec = (events: string, extra = ''): string => `types:
  Money: { fields: { amount: "decimal(12,2)", currency: { type: string, default: USD } } }
aggregates:
  Order:
    state:
      status: { enum: [draft, placed], default: draft }
      total: Money?
      count: { type: long, default: 0 }
      tags: { type: "string[]", default: [] }
      note: string?
    events:
${events}${extra}`;

const placed = (apply: string): string =>
  `      OrderPlaced:\n        versions: [ { fields: { amount: "decimal(12,2)", price: Money, n: int, big: long, maybe: "string?", tag: string } } ]\n        apply: ${apply}\n`;

const file = (domain: string, body: string): string => `domain: ${domain}\nsource: urn:x\n${body}`;

export const behaviourCases: readonly (readonly [string, Case])[] = [
  // ---- ES3008 / ES3021 names
  ['type and aggregate with the same name', { yaml: `types:\n  Order: { fields: { a: int } }\n${agg}`, want: [['ES3008', 7, 3, 'aggregate Order has the same name as type Order']] }],
  ['declared type clashes with a derived name', { yaml: `types:\n  OrderState: { fields: { a: int } }\n${agg}`, want: [['ES3021', 7, 3, '`OrderState` is both type OrderState and the state type']] }],
  ['inline enum clashes with a declared type', {
    yaml: `types:\n  ItemKind: { enum: [a] }\n  Item: { fields: { kind: { enum: [x, y] } } }\n${agg}`,
    want: [['ES3021', 5, 21, '`ItemKind` is both type ItemKind and the inline enum of field types.Item.fields.kind']],
  }],
  ['duplicate CloudEvents type', {
    yaml: `aggregates:\n  Order:\n    events:\n      OrderPlaced: { versions: [ { fields: {} } ] }\n      Placed: { versions: [ { fields: {} } ] }\n`,
    want: [['ES3021', 7, 7, 'CloudEvents type `com.example.t.order.placed` of Order.Placed is also the type of com.example.t: Order.OrderPlaced']],
  }],
  ['one event name in two aggregates', {
    yaml: `aggregates:\n  A:\n    events:\n      Created: { versions: [ { fields: {} } ] }\n  B:\n    events:\n      Created: { versions: [ { fields: {} } ] }\n`,
    want: [
      ['ES3021', 9, 7, '`Created` is both the latest-version type of event A.Created and the latest-version type of event B.Created'],
    ],
  }],
  // Issue 18: names the hostile run found compiling into clashing declarations.
  ['a type named like the aggregate id type', {
    yaml: `types:\n  CartId: { fields: { a: string } }\naggregates:\n  Cart:\n    events:\n      ItemAdded: { versions: [ { fields: {} } ] }\n`,
    want: [['ES3021', 6, 3, '`CartId` is both type CartId and the id type of aggregate Cart']],
  }],
  ['events named like derived names (Versions, Envelope, AnyVersion)', {
    yaml: `aggregates:\n  Cart:\n    events:\n      Added: { versions: [ { fields: {} } ] }\n      AddedVersions: { versions: [ { fields: {} } ] }\n      AddedEnvelope: { versions: [ { fields: {} } ] }\n      CartEventAnyVersion: { versions: [ { fields: {} } ] }\n`,
    want: [
      ['ES3021', 7, 7, '`AddedVersions` is both the version map of event Cart.Added and the latest-version type of event Cart.AddedVersions'],
      ['ES3021', 8, 7, '`AddedEnvelope` is both the envelope type of event Cart.Added and the latest-version type of event Cart.AddedEnvelope'],
      ['ES3021', 9, 7, '`CartEventAnyVersion` is both the any-version event union of aggregate Cart and the latest-version type of event Cart.CartEventAnyVersion'],
    ],
  }],
  ['an aggregate whose fold is another aggregate\'s reducer (Cart + CartAll)', {
    yaml: `aggregates:\n  Cart:\n    events:\n      Added: { versions: [ { fields: {} } ] }\n  CartAll:\n    events:\n      Removed: { versions: [ { fields: {} } ] }\n`,
    want: [['ES3021', 7, 3, '`evolveCartAll` is both the fold of aggregate Cart and the reducer of aggregate CartAll']],
  }],
  ['an event named like another event\'s upcast step (Placed + PlacedV1ToV2)', {
    yaml: `aggregates:\n  Cart:\n    events:\n      Placed: { versions: [ { fields: {} }, { fields: {} } ] }\n      PlacedV1ToV2: { versions: [ { fields: {} } ] }\n`,
    want: [['ES3021', 7, 7, '`upcastPlacedV1ToV2` is both the upcast to version 2 of event Cart.Placed and the upcast chain of event Cart.PlacedV1ToV2']],
  }],
  ['names that fold to one camelCase constructor (XMLParsed / XmlParsed in two aggregates)', {
    yaml: `aggregates:\n  Doc:\n    events:\n      XMLParsed: { versions: [ { fields: {} } ] }\n  Page:\n    events:\n      XmlParsed: { versions: [ { fields: {} } ] }\n`,
    want: [['ES3021', 9, 7, '`xmlParsed` is both the envelope constructor of event Doc.XMLParsed and the envelope constructor of event Page.XmlParsed']],
  }],
  ['names of runtime imports (makeEnvelope, parseEnvelope, CloudEvent)', {
    yaml: `types:\n  CloudEvent: { fields: { a: string } }\naggregates:\n  Cart:\n    events:\n      MakeEnvelope: { versions: [ { fields: {} } ] }\n      ParseEnvelope: { versions: [ { fields: {} } ] }\n`,
    want: [
      ['ES3021', 4, 3, '`CloudEvent` is both the runtime import CloudEvent and type CloudEvent'],
      ['ES3021', 8, 7, '`makeEnvelope` is both the runtime import makeEnvelope and the envelope constructor of event Cart.MakeEnvelope'],
      ['ES3021', 9, 7, '`parseEnvelope` is both the runtime import parseEnvelope and the envelope constructor of event Cart.ParseEnvelope'],
    ],
  }],
  ['a parser and guard table named like an event (parseCartEnvelope is a value, CartEnvelope a type)', {
    yaml: `aggregates:\n  Cart:\n    events:\n      Added: { versions: [ { fields: {} } ] }\n      CartEnvelope: { versions: [ { fields: {} } ] }\n`,
    want: [['ES3021', 7, 7, '`CartEnvelope` is both the envelope union of aggregate Cart and the latest-version type of event Cart.CartEnvelope']],
  }],
  ['field name and alias clash', { yaml: `types:\n  Item: { fields: { a: int, b: { type: int, aliases: [a] } } }\n${agg}`, want: [['ES3008', 4, 29, '`a` names both field `a` and field `b`']] }],
  ['aggregate in two domains', {
    yaml: { 'a.yaml': file('com.a', agg), 'b.yaml': file('com.b', agg) },
    want: [['ES3008', 5, 3, 'aggregate Order is also declared in domain com.a', 'b.yaml']],
  }],
  ['two domains with one output folder', {
    yaml: { 'a.yaml': file('com.a.orders', agg), 'b.yaml': file('com.b.orders', agg.replace(/Order/g, 'Sale')) },
    want: [['ES3021', 1, 9, 'domains com.a.orders and com.b.orders both write to the output folder `orders`', 'b.yaml']],
  }],
  ['one domain in two files', {
    yaml: { 'a.yaml': file('com.a', agg), 'b.yaml': file('com.a', agg.replace(/Order/g, 'Sale')) },
    want: [['ES3008', 1, 9, 'domain com.a is also declared in a.yaml', 'b.yaml']],
  }],
  // ---- ES3011 unknown fields
  ['apply to an unknown state field', { yaml: orderSpec(placed('{ totl: $.price }')), want: [['ES3011', 16, 18, 'OrderState has no field `totl`; did you mean `total`?']] }],
  ['reference to an unknown event field', { yaml: orderSpec(placed('{ total: $.prise }')), want: [['ES3011', 16, 27, 'OrderPlacedV1 has no field `prise`; did you mean `price`?']] }],
  ['reference into a record', { yaml: orderSpec(placed('{ note: $.price.currncy }')), want: [['ES3011', 16, 32, 'Money has no field `currncy`']] }],
  ['reference into a scalar', { yaml: orderSpec(placed('{ note: $.tag.x }')), want: [['ES3011', 16, 30, '`$.tag` is string, which has no field `x`']] }],
  ['upcast key that is no field', {
    yaml: `aggregates:\n  Order:\n    events:\n      OrderPlaced:\n        versions:\n          - fields: { a: int }\n          - fields: { a: int }\n            upcast: { b: 1 }\n`,
    want: [['ES3011', 10, 23, 'OrderPlacedV2 has no field `b`']],
  }],
  // ---- ES3012 type mismatches
  ['ref of another type', { yaml: orderSpec(placed('{ total: $.amount }')), want: [['ES3012', 16, 25, '`$.amount` is decimal(12,2), which does not fit Money?']] }],
  ['long into an enum', { yaml: orderSpec(placed('{ status: $.big }')), want: [['ES3012', 16, 26, '`$.big` is long']] }],
  ['optional into required', { yaml: orderSpec(placed('{ tags: { append: $.maybe } }')), want: [['ES3012', 16, 34, '`$.maybe` is string?; append to string[] takes string or string[]']] }],
  ['literal that is not a symbol', { yaml: orderSpec(placed('{ status: shipped }')), want: [['ES3012', 16, 26, '"shipped" is not a symbol of OrderStateStatus']] }],
  ['record construction missing a field', { yaml: orderSpec(placed('{ total: { currency: EUR } }')), want: [['ES3012', 16, 25, 'missing field `amount` of Money']] }],
  ['record construction with an unknown field', { yaml: orderSpec(placed('{ total: { amount: $.amount, cents: 1 } }')), want: [['ES3011', 16, 45, 'Money has no field `cents`']] }],
  ['mapping for a non-record target', { yaml: orderSpec(placed('{ note: { a: 1, b: 2 } }')), want: [['ES3012', 16, 24, 'a mapping builds a record, but the target is string?']] }],
  ['list with references', { yaml: orderSpec(placed('{ tags: [$.tag] }')), want: [['ES3012', 16, 24, 'field references inside it are not read']] }],
  ['increment long by an int is fine; a list with references is not', { yaml: orderSpec(placed('{ count: { increment: $.n }, tags: { set: [$.big] } }')), want: [['ES3012', 16, 58, 'field references inside it are not read']] }],
  ['upcast copy of a changed type', {
    yaml: `aggregates:\n  Order:\n    events:\n      OrderPlaced:\n        versions:\n          - fields: { a: long }\n          - fields: { a: int }\n`,
    want: [['ES3012', 9, 23, '`a` is long in OrderPlacedV1 and int in OrderPlacedV2']],
  }],
  ['upcast literal of the wrong type', {
    yaml: `aggregates:\n  Order:\n    events:\n      OrderPlaced:\n        versions:\n          - fields: { a: int }\n          - fields: { a: int, b: uuid }\n            upcast: { b: 42 }\n`,
    want: [['ES3012', 10, 26, '42 is not a valid uuid']],
  }],
  // ---- ES3013, ES3014, ES3020 versions
  ['no versions', { yaml: `aggregates:\n  Order:\n    events:\n      OrderPlaced: { versions: [] }\n`, want: [['ES3013', 6, 22, 'event OrderPlaced has no versions']] }],
  ['new field without a source', {
    yaml: `aggregates:\n  Order:\n    events:\n      OrderPlaced:\n        versions:\n          - fields: { a: int }\n          - fields: { a: int, b: string }\n`,
    want: [['ES3014', 9, 31, '`b` of OrderPlacedV2 has no source: OrderPlacedV1 has no field `b` and it has no default']],
  }],
  ['upcast on version 1', {
    yaml: `aggregates:\n  Order:\n    events:\n      OrderPlaced:\n        versions:\n          - fields: { a: int }\n            upcast: custom\n`,
    want: [['ES3020', 9, 13, 'version 1 has no earlier version']],
  }],
  // ---- ES3015 topics, ES3016/ES3017 header, ES3018 id, ES3022 operations
  ['topic with a space', { yaml: `aggregates:\n  Order:\n    topic: "my topic"\n    events: { OrderPlaced: { versions: [ { fields: {} } ] } }\n`, want: [['ES3015', 5, 12, 'must be 1 to 249 characters']] }],
  ['topic ..', { yaml: `aggregates:\n  Order:\n    topic: ".."\n    events: { OrderPlaced: { versions: [ { fields: {} } ] } }\n`, want: [['ES3015', 5, 12, 'not allowed by Kafka']] }],
  ['invalid domain and source', {
    yaml: { 't.yaml': `domain: Com.Example\nsource: "urn:a b"\n${agg}` },
    want: [
      ['ES3016', 1, 9, 'domain name "Com.Example" is not valid'],
      ['ES3017', 2, 9, 'CloudEvents source "urn:a b" is not valid'],
    ],
  }],
  ['id type', { yaml: `aggregates:\n  Order:\n    id: double\n    events: { OrderPlaced: { versions: [ { fields: {} } ] } }\n`, want: [['ES3018', 5, 9, 'must be uuid, string, long or int, got "double"']] }],
  ['increment a string', { yaml: orderSpec(placed('{ note: { increment: 1 } }')), want: [['ES3022', 16, 18, 'increment needs a number field; `note` is string?']] }],
  ['append to a non-list', { yaml: orderSpec(placed('{ count: { append: $.big } }')), want: [['ES3022', 16, 18, 'append needs a list field; `count` is long']] }],
  // ---- ES3023 state defaults: the generated initial state is made of them
  ['state fields without a default', {
    yaml: `types:\n  Money: { fields: { amount: "decimal(12,2)" } }\naggregates:\n  Order:\n    state:\n      total: int\n      price: Money\n      kind: { enum: [a, b] }\n      note: string?\n      tags: { type: "string[]", default: [] }\n      level: { enum: [low, high], default: low }\n    events: { OrderPlaced: { versions: [ { fields: {} } ] } }\n`,
    want: [
      ['ES3023', 8, 7, 'state field `total` of Order needs a default: the initial state is made of the defaults; add `default:` or make it optional (`int?`)'],
      ['ES3023', 9, 7, 'state field `price` of Order needs a default'],
      ['ES3023', 10, 7, 'state field `kind` of Order needs a default'],
    ],
  }],
  // ---- the event store: storage and snapshots (the schema refuses these first; the resolver checks again)
  ['snapshotEvery below 1, not an integer, too large', {
    yaml: `aggregates:\n  A:\n    snapshotEvery: 0\n    events: { Done: { versions: [ { fields: {} } ] } }\n  B:\n    snapshotEvery: 2.5\n    events: { Went: { versions: [ { fields: {} } ] } }\n  C:\n    snapshotEvery: 2147483648\n    events: { Came: { versions: [ { fields: {} } ] } }\n`,
    want: [
      ['ES2005', 5, 20, 'snapshotEvery must be a whole number of events from 1 to 2147483647, got 0'],
      ['ES2005', 8, 20, 'got 2.5'],
      ['ES2005', 11, 20, 'got 2147483648'],
    ],
  }],
  ['storage encoding', { yaml: `storage: { encoding: protobuf }\n${agg}`, want: [['ES2005', 3, 22, 'storage encoding "protobuf" is not one of avro, json']] }],
  ['an event named like a repository type', {
    yaml: `aggregates:\n  Order:\n    events:\n      OrderRepository: { versions: [ { fields: {} } ] }\n      OrderEventInput: { versions: [ { fields: {} } ] }\n`,
    want: [
      ['ES3021', 6, 7, '`OrderRepository` is both the repository type of aggregate Order and the latest-version type of event Order.OrderRepository'],
      ['ES3021', 7, 7, '`OrderEventInput` is both the append input type of aggregate Order and the latest-version type of event Order.OrderEventInput'],
    ],
  }],
  ['an aggregate whose repository factory would shadow a runtime function', {
    yaml: `aggregates:\n  Create:\n    events: { Created: { versions: [ { fields: {} } ] } }\n`,
    want: [['ES3021', 4, 3, '`createRepository` is both the runtime import createRepository and the repository factory of aggregate Create']],
  }],
  ['names of kafka.ts: an event named like a handlers type, an aggregate named like a fixed type', {
    yaml: `aggregates:\n  Order:\n    events:\n      OrderHandlers: { versions: [ { fields: {} } ] }\n  Domain:\n    events: { Went: { versions: [ { fields: {} } ] } }\n`,
    want: [
      ['ES3021', 6, 7, '`OrderHandlers` is both the Kafka handlers type of aggregate Order and the latest-version type of event Order.OrderHandlers'],
      ['ES3021', 7, 3, '`DomainHandlers` is both the name DomainHandlers of kafka.ts and the Kafka handlers type of aggregate Domain'],
    ],
  }],
  ['a wrong state default is reported once, as ES3003', {
    yaml: `aggregates:\n  Order:\n    state:\n      total: { type: int, default: x }\n    events: { OrderPlaced: { versions: [ { fields: {} } ] } }\n`,
    want: [['ES3003', 6, 36, 'default does not fit field `total`']],
  }],
];
