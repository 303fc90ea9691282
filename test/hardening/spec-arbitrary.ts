// A grammar of eventsmith specs for fast-check: valid specs built from the DSL's parts (named
// types, aggregates with state, events with versions, apply rules, commands), names drawn
// from a pool that includes the generator's own derived names so collisions come up often, and
// text-level mutations that turn a valid spec into a broken one (truncation, stray YAML
// syntax, tags, aliases, lone CR, huge numbers). What it generates is YAML text: the fuzzer
// exercises the whole pipeline from bytes.
import fc from 'fast-check';

/**
 * Names: mostly plain ones, sometimes one the generator derives from another or imports from its
 * runtime (`CartId`, `makeEnvelope` via MakeEnvelope, `PlacedV1ToV2`, `XMLDoc`/`XmlDoc`), so
 * collisions come up often without drowning out the specs that should generate.
 */
function names(plain: readonly string[], nasty: readonly string[], odds = 8): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: fc.constantFrom(...plain), weight: odds }, { arbitrary: fc.constantFrom(...nasty), weight: 1 });
}
const typeName = names(['Money', 'Item', 'Kind', 'Sha', 'Address'], ['CartId', 'CartState', 'AddedV1', 'CloudEvent', 'Added', 'Event', 'State']);
const aggregateName = names(['Cart', 'Order', 'Shipment'], ['CartAll', 'Event', 'Data', 'XMLDoc', 'XmlDoc']);
const eventName = names(['Added', 'Removed', 'Placed', 'Shipped', 'Paid'], ['PlacedV1ToV2', 'AddedVersions', 'CartEnvelope', 'MakeEnvelope', 'XMLParsed', 'XmlParsed', 'Raw', 'State']);
const commandName = names(['Add', 'Remove', 'Place'], ['AddedEmits', 'Delete', 'Added']);
const fieldName = names(['sku', 'qty', 'total', 'note', 'tags', 'at', 'type', 'data', 'meta', 'raw', 'state', 'event'], ['constructor', 'toString'], 80);

const primitives = ['string', 'int', 'long', 'float', 'double', 'boolean', 'bytes', 'uuid', 'date', 'time-millis', 'timestamp-millis', 'timestamp-micros'];

interface TypeChoice {
  readonly text: string;
  /** A default that fits, or undefined when the fuzzer should not give one. */
  readonly fitting?: string;
}

function defaultFor(base: string): string | undefined {
  switch (base) {
    case 'string':
      return '"x: \\u2028 \\\\ \'q\'"';
    case 'int':
      return '-2147483648';
    case 'long':
      return '9007199254740993';
    case 'float':
      return '1.5';
    case 'double':
      return '-1.0e-300';
    case 'boolean':
      return 'true';
    case 'uuid':
      return '"3fa85f64-5717-4562-b3fc-2c963f66afa6"';
    case 'date':
      return '"2024-02-29"';
    case 'timestamp-micros':
      return '9223372036854775807';
    default:
      return undefined;
  }
}

/** A type expression over primitives, decimals and the named types declared before it. */
function typeExpr(named: readonly string[]): fc.Arbitrary<TypeChoice> {
  const base: fc.Arbitrary<TypeChoice> = fc.oneof(
    fc.constantFrom(...primitives).map((p) => ({ text: p, fitting: defaultFor(p) })),
    fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 6 })).map(([p, s]) => ({ text: `decimal(${p},${Math.min(p, s)})` })),
    ...(named.length > 0 ? [fc.constantFrom(...named).map((n) => ({ text: n }))] : []),
  );
  return fc.tuple(base, fc.constantFrom('', '', '[]', '?', 'map', '[]?')).map(([b, suffix]) => {
    if (suffix === 'map') return { text: `map<${b.text}>`, fitting: '{ __proto__: ' + (b.fitting ?? 'null') + ' }' };
    if (suffix === '[]') return { text: `${b.text}[]`, fitting: '[]' };
    if (suffix === '?') return { text: `${b.text}?`, fitting: 'null' };
    if (suffix === '[]?') return { text: `${b.text}[]?`, fitting: 'null' };
    return b;
  });
}

function fieldLines(named: readonly string[], indent: string, withDefaults: boolean): fc.Arbitrary<string> {
  const field = fc.tuple(fieldName, typeExpr(named), fc.boolean(), fc.boolean()).map(([name, t, give, doc]) => {
    const parts = [`type: ${JSON.stringify(t.text)}`];
    // The map default above is only valid when its values fit: only give defaults the grammar knows fit.
    const fits = t.fitting !== undefined && !(t.text.startsWith('map<') && t.fitting.includes('null') && !t.text.includes('?'));
    if ((withDefaults || give) && fits) parts.push(`default: ${t.fitting}`);
    if (doc) parts.push('doc: "a */ comment\\nwith a line break"');
    return { name, line: `${indent}${name}: { ${parts.join(', ')} }`, fits };
  });
  // State fields need a default (ES3023): mostly only those the grammar can give one.
  const usable = withDefaults ? fc.oneof({ arbitrary: field.filter((f) => f.fits), weight: 12 }, { arbitrary: field, weight: 1 }) : field;
  return fc.uniqueArray(usable, { minLength: 0, maxLength: 4, selector: (f) => f.name }).map((fs) => fs.map((f) => f.line).join('\n'));
}

function namedTypes(): fc.Arbitrary<{ text: string; names: string[] }> {
  return fc.uniqueArray(typeName, { maxLength: 3 }).chain((names) => {
    const decls = names.map((n, i) => {
      const earlier = names.slice(0, i);
      return fc.oneof(
        fieldLines(earlier, '      ', false).map((f) => `  ${n}:\n    fields:${f ? `\n${f}` : ' {}'}`),
        fc.constantFrom(`  ${n}: { enum: [a, b, constructor_], default: a }`, `  ${n}: { enum: [x] }`),
        fc.integer({ min: 1, max: 64 }).map((size) => `  ${n}: { fixed: ${size} }`),
      );
    });
    return (decls.length ? fc.tuple(...decls) : fc.constant([] as string[])).map((lines) => ({
      text: lines.length ? `types:\n${lines.join('\n')}\n` : '',
      names,
    }));
  });
}

function event(name: string, named: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fieldLines(named, '                ', false), fc.boolean(), fc.constantFrom('none', 'custom', 'set')).map(([fields, twoVersions, apply]) => {
    const v1 = `          - fields:${fields ? `\n${fields}` : ' {}'}`;
    // v2 adds an optional field: copied by name, the new one takes its default (null).
    const v2 = twoVersions ? `\n          - fields:${fields ? `\n${fields}` : ''}\n                extra: { type: "string?" }` : '';
    const applyLine = apply === 'custom' ? '\n        apply: custom' : apply === 'set' ? '\n        apply: { count: 1 }' : '';
    return `      ${name}:\n        versions:\n${v1}${v2}${applyLine}`;
  });
}

function aggregate(name: string, named: readonly string[], index: number): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('uuid', 'string', 'long', 'int'),
      fieldLines(named, '      ', true),
      // Later aggregates prefix their events (OrderPlaced) so that two aggregates rarely share one by accident.
      fc.uniqueArray(eventName, { minLength: 1, maxLength: 3 }).map((es) => (index === 0 ? es : es.map((e) => `${name}${e}`))),
      fc.uniqueArray(commandName, { maxLength: 2 }),
      fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    )
    .chain(([id, state, events, commands, snapshot]) =>
      fc.tuple(...events.map((e) => event(e, named))).map((eventTexts) => {
        const first = events[0] as string;
        const cmds = commands.length
          ? `\n    commands:\n${commands.map((c) => `      ${c}:\n        versions: [ { fields: { sku: string } } ]\n        emits: [${first}]`).join('\n')}`
          : '';
        return (
          `  ${name}:\n    id: ${id}\n` +
          (snapshot ? `    snapshotEvery: ${snapshot}\n` : '') +
          `    state:\n      count: { type: int, default: 0 }${state ? `\n${state}` : ''}\n` +
          `    events:\n${eventTexts.join('\n')}${cmds}`
        );
      }),
    );
}

/** A spec the grammar means to be valid; some are not (collisions, unfit defaults) and must be refused cleanly. */
export function specText(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom('com.acme.shop', 'shop', 'a.b.c.d'), namedTypes(), fc.uniqueArray(aggregateName, { minLength: 1, maxLength: 2 }))
    .chain(([domain, types, aggs]) =>
      fc.tuple(...aggs.map((a, i) => aggregate(a, types.names, i))).map((aggTexts) => `domain: ${domain}\nsource: urn:acme:${domain}\n${types.text}aggregates:\n${aggTexts.join('\n')}\n`),
    );
}

/** Text-level damage: what a hand editing a file, or a hostile one, can do. */
const damage = [
  '\t', ':', '{', '[', '"', '&a ', '*a', '*nope', '!!set ', '!!omap ', '!tag ', '\r', '-0.0', 'decimal(2000000000,1)', '__proto__', '\u0000', '\uFEFF', '? ', '- ', '<<: *a',
];

export function mutatedSpecText(): fc.Arbitrary<string> {
  return fc.tuple(specText(), fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...damage), fc.constantFrom('insert', 'truncate', 'replace-line', 'duplicate-line')).map(([text, at, piece, how]) => {
    const i = at % Math.max(1, text.length);
    switch (how) {
      case 'insert':
        return text.slice(0, i) + piece + text.slice(i);
      case 'truncate':
        return text.slice(0, i);
      case 'replace-line': {
        const lines = text.split('\n');
        lines[i % lines.length] = `${' '.repeat(i % 9)}${piece}`;
        return lines.join('\n');
      }
      default: {
        const lines = text.split('\n');
        const k = i % lines.length;
        lines.splice(k, 0, lines[k] ?? '');
        return lines.join('\n');
      }
    }
  });
}
