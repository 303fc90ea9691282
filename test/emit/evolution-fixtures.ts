// Hand-built models for the upcaster and reducer emitter tests: events with chosen upcasts and
// apply rules on top of model-fixtures.ts, and the built-in templates those emitters render.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Apply, Assignment, DomainEvent, EventVersion, Expr, Field, Upcast } from '../../generator/core/model.js';
import { ceType, versionTypeName } from '../../generator/core/names.js';
import { createTemplateSet, type TemplateSet } from '../../generator/core/templates.js';
import { loc } from './model-fixtures.js';

const root = path.join(import.meta.dirname, '../..');

export function evolutionTemplates(): TemplateSet {
  const names = ['upcasters.ts.hbs', 'reducers.ts.hbs', 'custom-upcasters.ts.hbs', 'custom-reducers.ts.hbs'];
  return createTemplateSet(new Map(names.map((n) => [n, readFileSync(path.join(root, 'templates', n), 'utf8')])));
}

export function assign(target: Field, expr: Expr, op: Assignment['op'] = 'set', spread?: boolean): Assignment {
  return { kind: 'assignment', target, op, expr, loc, ...(spread !== undefined ? { spread } : {}) };
}

export const declarative = (assignments: readonly Assignment[]): Upcast & Apply => ({ kind: 'declarative', assignments, loc });
export const custom = { kind: 'custom', loc } as const;

/** An event whose versions after the first carry the given upcasts (in order). */
export function evolvingEvent(
  aggregate: string,
  name: string,
  versions: readonly { readonly fields: readonly Field[]; readonly upcast?: Upcast }[],
  apply: Apply = { kind: 'none' },
): DomainEvent {
  return {
    kind: 'event',
    name,
    aggregateName: aggregate,
    ceType: ceType('com.example.t', aggregate, name),
    versions: versions.map(
      (v, i): EventVersion => ({
        kind: 'eventVersion',
        version: i + 1,
        fields: v.fields,
        typeName: versionTypeName(name, i + 1),
        loc,
        ...(v.upcast ? { upcast: v.upcast } : {}),
      }),
    ),
    apply,
    loc,
  };
}

/** `want` must appear in `text` as whole consecutive lines. */
export function lines(text: string, want: readonly string[]): void {
  const haystack = `\n${text}`;
  const needle = `\n${want.join('\n')}\n`;
  if (!haystack.includes(needle)) throw new Error(`missing lines:\n${want.join('\n')}\n---- in ----\n${text}`);
}
