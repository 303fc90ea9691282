// Keeps the JSON Schema, the key lists the resolver reads (generator/validate/keys.ts) and the
// kitchen-sink fixture in step: a key added in one place and not the others fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../generator/core/diagnostics.js';
import { loadSpec } from '../../generator/load/index.js';
import { editorKeywords, specSchema, validateSpec } from '../../generator/validate/index.js';
import { dslKeys, type DslObjectKind } from '../../generator/validate/keys.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const definitions = specSchema.definitions as Record<string, Json>;
const kinds = Object.keys(dslKeys) as DslObjectKind[];
const definitionOf = (kind: DslObjectKind): string => kind[0]?.toUpperCase() + kind.slice(1);
const schemaFor = (kind: DslObjectKind): Json => (kind === 'spec' ? specSchema : (definitions[definitionOf(kind)] ?? {}));

/** Every subschema with its JSON Pointer, for whole-schema rules. */
function subschemas(node: unknown, at = '#'): [string, Json][] {
  if (Array.isArray(node)) return node.flatMap((n, i) => subschemas(n, `${at}/${i}`));
  if (!isObject(node)) return [];
  const out: [string, Json][] = [[at, node]];
  for (const key of ['properties', 'definitions']) {
    for (const [name, sub] of Object.entries((node[key] as Json | undefined) ?? {})) out.push(...subschemas(sub, `${at}/${key}/${name}`));
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'oneOf', 'anyOf']) {
    if (node[key] !== undefined) out.push(...subschemas(node[key], `${at}/${key}`));
  }
  return out;
}

const deref = (s: Json): Json => (typeof s.$ref === 'string' ? { ...(definitions[s.$ref.replace('#/definitions/', '')] ?? {}), ...s } : s);

describe('the DSL schema', () => {
  it('is a valid draft-07 schema that compiles in strict mode', () => {
    expect(specSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(specSchema.$id).toBe('https://eventsmith.dev/schemas/eventsmith.schema.json');
    const ajv = new Ajv({ strict: true, allErrors: true });
    ajv.addVocabulary([...editorKeywords]);
    expect(ajv.validateSchema(specSchema), JSON.stringify(ajv.errors)).toBe(true);
    expect(() => ajv.compile(specSchema)).not.toThrow();
  });

  it('resolves every $ref', () => {
    for (const [at, s] of subschemas(specSchema)) {
      if (typeof s.$ref === 'string') expect(definitions[s.$ref.replace('#/definitions/', '')], `${at}: ${s.$ref}`).toBeDefined();
    }
  });

  it('rejects unknown keys in every object with fixed keys', () => {
    for (const [at, s] of subschemas(specSchema)) {
      if (s.properties !== undefined) expect(s.additionalProperties, at).toBe(false);
    }
  });

  it('documents every property (title and description, own or via $ref) for editor hover', () => {
    for (const [at, s] of subschemas(specSchema)) {
      for (const [name, prop] of Object.entries((s.properties as Json | undefined) ?? {})) {
        const p = deref(prop as Json);
        expect(typeof p.title, `${at}/properties/${name} title`).toBe('string');
        expect(typeof p.description, `${at}/properties/${name} description`).toBe('string');
      }
    }
  });

  it('explains every pattern in words', () => {
    for (const [at, s] of subschemas(specSchema)) {
      if (s.pattern !== undefined) expect(typeof s.patternErrorMessage, at).toBe('string');
      // The validator embeds these in sentences ("'x' is not a valid ..." / "expected ...").
      if (typeof s.patternErrorMessage === 'string') expect(s.patternErrorMessage, at).toMatch(/^Not a valid /);
      if (typeof s.errorMessage === 'string') expect(s.errorMessage, at).toMatch(/^Expected /);
    }
  });

  it('makes every oneOf branch a $ref to a definition (the validator re-checks the branch the user meant)', () => {
    for (const [at, s] of subschemas(specSchema)) {
      for (const branch of (s.oneOf as Json[] | undefined) ?? []) expect(Object.keys(branch), at).toEqual(['$ref']);
    }
  });
});

describe('schema and dslKeys', () => {
  it.each(kinds)('%s: the schema declares exactly the keys in dslKeys', (kind) => {
    const props = Object.keys((schemaFor(kind).properties as Json | undefined) ?? {});
    expect(props.length, `schema ${kind === 'spec' ? 'root' : `definitions.${definitionOf(kind)}`} has properties`).toBeGreaterThan(0);
    expect([...props].sort()).toEqual([...dslKeys[kind]].sort());
  });

  it('has a dslKeys kind for every schema definition with properties', () => {
    const withProps = Object.entries(definitions)
      .filter(([, d]) => d.properties !== undefined)
      .map(([name]) => name)
      .sort();
    expect(withProps).toEqual(kinds.filter((k) => k !== 'spec').map(definitionOf).sort());
  });
});

// ---------------------------------------------------------------------------------------------
// The kitchen sink: valid, and it exercises every key of every kind and every form.

const kitchenSinkText = readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'kitchen-sink.yaml'), 'utf8');

interface Usage {
  readonly keys: Map<DslObjectKind, Set<string>>;
  readonly forms: Set<string>;
}

function walkSpec(spec: Json): Usage {
  const usage: Usage = { keys: new Map(), forms: new Set() };
  const note = (kind: DslObjectKind, o: Json) => {
    const set = usage.keys.get(kind) ?? new Set<string>();
    for (const k of Object.keys(o)) set.add(k);
    usage.keys.set(kind, set);
  };
  const entries = (v: unknown): [string, Json][] => Object.entries(isObject(v) ? v : {}).map(([k, x]) => [k, isObject(x) ? x : {}]);
  const typeExpr = (t: string) => {
    usage.forms.add(`base:${t.replace(/(\[\]|\?)+$/, '').replace(/<.*>/, '<>').replace(/\(.*\)/, '()')}`);
    if (t.includes('[]')) usage.forms.add('type:array');
    if (t.includes('?')) usage.forms.add('type:optional');
    if (/^map</.test(t)) usage.forms.add('type:map');
    const inner = /^map<(.*)>/.exec(t)?.[1];
    if (inner) typeExpr(inner);
  };
  const fields = (v: unknown) => {
    for (const [, f] of Object.entries(isObject(v) ? v : {})) {
      if (typeof f === 'string') {
        usage.forms.add('field:string');
        typeExpr(f);
      } else if (isObject(f) && 'enum' in f) {
        usage.forms.add('field:inlineEnum');
        note('inlineEnumField', f);
      } else if (isObject(f)) {
        usage.forms.add('field:typed');
        note('typedField', f);
        if (typeof f.type === 'string') typeExpr(f.type);
      }
    }
  };
  const expr = (e: unknown) => {
    if (typeof e === 'string' && e.startsWith('$.')) usage.forms.add('expr:ref');
    else if (isObject(e) && Object.keys(e).length === 1 && 'const' in e) {
      usage.forms.add('expr:const');
      note('literalExpr', e);
    } else if (isObject(e)) {
      usage.forms.add('expr:record');
      Object.values(e).forEach(expr);
    } else usage.forms.add('expr:literal');
  };

  note('spec', spec);
  if (isObject(spec.storage)) note('storage', spec.storage);
  for (const [, t] of entries(spec.types)) {
    const kind = 'fields' in t ? 'recordType' : 'enum' in t ? 'enumType' : 'fixedType';
    usage.forms.add(`namedType:${kind}`);
    note(kind, t);
    fields(t.fields);
  }
  const upcast = (u: unknown) => {
    if (u === 'custom') usage.forms.add('upcast:custom');
    else if (isObject(u)) {
      usage.forms.add('upcast:mapping');
      Object.values(u).forEach(expr);
    }
  };
  /** `to` and `data` values of sagas and reactions: references by their form, other values as expressions. */
  const dataExpr = (e: unknown): void => {
    if (typeof e === 'string' && /^\$[A-Za-z_.]/.test(e)) {
      const form = e.startsWith('$.') ? '$.' : e === '$start.aggregateId' ? '$start.aggregateId' : (/^\$[A-Za-z]+/.exec(e)?.[0] ?? e);
      usage.forms.add(`ref:${form}`);
    } else if (isObject(e) && !(Object.keys(e).length === 1 && 'const' in e)) Object.values(e).forEach(dataExpr);
    else expr(e);
  };
  const send = (o: Json) => {
    if (o.to !== undefined) dataExpr(o.to);
    if (o.data === 'custom') usage.forms.add('data:custom');
    else if (isObject(o.data)) {
      usage.forms.add('data:mapping');
      Object.values(o.data).forEach(dataExpr);
    }
  };
  for (const [, a] of entries(spec.aggregates)) {
    note('aggregate', a);
    if (typeof a.id === 'string') usage.forms.add(`id:${a.id}`);
    fields(a.state);
    for (const [, c] of entries(a.commands)) {
      note('command', c);
      for (const v of Array.isArray(c.versions) ? c.versions : []) {
        if (!isObject(v)) continue;
        note('commandVersion', v);
        fields(v.fields);
        upcast(v.upcast);
      }
    }
    for (const [, e] of entries(a.events)) {
      note('event', e);
      for (const v of Array.isArray(e.versions) ? e.versions : []) {
        if (!isObject(v)) continue;
        note('eventVersion', v);
        fields(v.fields);
        for (const entry of Array.isArray(v.allowBreaking) ? v.allowBreaking : []) if (isObject(entry)) note('versionAllowBreakingEntry', entry);
        upcast(v.upcast);
      }
      if (e.apply === 'custom') usage.forms.add('apply:custom');
      else if (isObject(e.apply)) {
        usage.forms.add('apply:mapping');
        for (const rule of Object.values(e.apply)) {
          const op = isObject(rule) && Object.keys(rule).length === 1 ? (['set', 'append', 'increment'] as const).find((k) => k in rule) : undefined;
          if (op && isObject(rule)) {
            usage.forms.add(`rule:${op}`);
            note('applyOperation', rule);
            expr(rule[op]);
          } else {
            usage.forms.add('rule:expr');
            expr(rule);
          }
        }
      } else usage.forms.add('apply:absent');
    }
  }
  for (const entry of Array.isArray(spec.allowBreaking) ? spec.allowBreaking : []) if (isObject(entry)) note('allowBreakingEntry', entry);
  for (const [, s] of entries(spec.sagas)) {
    note('saga', s);
    usage.forms.add(s.correlation === 'aggregateId' ? 'correlation:aggregateId' : 'correlation:path');
    if (isObject(s.retry)) note('retryPolicy', s.retry);
    for (const step of Array.isArray(s.steps) ? s.steps : []) {
      if (!isObject(step)) continue;
      note('sagaStep', step);
      send(step);
      for (const key of ['succeedsOn', 'failsOn']) usage.forms.add(`${key}:${Array.isArray(step[key]) ? 'list' : 'one'}`);
      if (typeof step.compensation === 'string') usage.forms.add('compensation:ref');
      else if (isObject(step.compensation)) {
        usage.forms.add('compensation:mapping');
        note('compensation', step.compensation);
        send(step.compensation);
      }
    }
    for (const key of ['onCompleted', 'onCompensated']) {
      const o = s[key];
      if (typeof o === 'string') usage.forms.add('send:ref');
      else if (isObject(o)) {
        usage.forms.add('send:mapping');
        note('commandSend', o);
        send(o);
      }
    }
  }
  for (const [, p] of entries(spec.projections)) {
    note('projection', p);
    for (const [, rule] of entries(p.on)) {
      if (!isObject(rule)) continue;
      const kind = (['insert', 'upsert', 'update', 'delete'] as const).find((k) => k in rule);
      if (kind) note(`projection${kind[0]?.toUpperCase()}${kind.slice(1)}` as DslObjectKind, rule);
    }
  }
  for (const r of Array.isArray(spec.reactions) ? spec.reactions : []) {
    if (!isObject(r)) continue;
    note('reaction', r);
    usage.forms.add(r.name === undefined ? 'reaction:defaultName' : 'reaction:named');
    send(r);
  }
  return usage;
}

describe('the kitchen-sink fixture', () => {
  const diags = new Diagnostics();
  const spec = loadSpec('test/fixtures/kitchen-sink.yaml', kitchenSinkText, diags);

  it('loads and validates without a single diagnostic', () => {
    expect(spec).toBeDefined();
    if (spec) validateSpec(spec, diags);
    expect(diags.items).toEqual([]);
  });

  const usage = walkSpec(isObject(spec?.data) ? spec.data : {});

  it.each(kinds)('uses every %s key', (kind) => {
    expect([...(usage.keys.get(kind) ?? [])].sort()).toEqual([...dslKeys[kind]].sort());
  });

  it('uses every form of the DSL', () => {
    const bases = ['string', 'int', 'long', 'float', 'double', 'boolean', 'bytes', 'uuid', 'date', 'time-millis', 'timestamp-millis', 'timestamp-micros', 'decimal()', 'map<>'];
    const expected = [
      ...bases.map((b) => `base:${b}`),
      'base:Money', // a named type
      'type:array',
      'type:optional',
      'type:map',
      'field:string',
      'field:typed',
      'field:inlineEnum',
      'namedType:recordType',
      'namedType:enumType',
      'namedType:fixedType',
      'id:uuid',
      'id:string',
      'id:long',
      'id:int',
      'upcast:custom',
      'upcast:mapping',
      'apply:custom',
      'apply:mapping',
      'apply:absent',
      'rule:set',
      'rule:append',
      'rule:increment',
      'rule:expr',
      'expr:ref',
      'expr:literal',
      'expr:const',
      'expr:record',
      'correlation:aggregateId',
      'correlation:path',
      'succeedsOn:one',
      'succeedsOn:list',
      'failsOn:one',
      'failsOn:list',
      'compensation:ref',
      'compensation:mapping',
      'send:ref',
      'send:mapping',
      'data:mapping',
      'data:custom',
      'ref:$start',
      'ref:$start.aggregateId',
      'ref:$steps',
      'ref:$sagaId',
      'ref:$.',
      'ref:$aggregateId',
      'reaction:named',
      'reaction:defaultName',
    ];
    expect(expected.filter((f) => !usage.forms.has(f))).toEqual([]);
  });

  it('holds an integer past 2^53 (loaded as bigint)', () => {
    expect(kitchenSinkText).toContain('9007199254740993');
  });
});
