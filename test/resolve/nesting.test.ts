// Schema nesting is bounded (ES3035) without recursion: recursive types are fine (a reference
// back is a name), long chains are one diagnostic at the message, never a stack overflow.
import { describe, expect, it } from 'vitest';
import { header, run } from './helpers.js';

const agg = (fields: string): string => `aggregates:\n  Cart:\n    events:\n      Added:\n        versions: [ { fields: ${fields} } ]\n`;
const chain = (n: number, suffix = ''): string => {
  let t = 'types:\n';
  for (let i = 0; i < n; i++) t += `  T${i}: { fields: { a: "T${i + 1}${suffix}" } }\n`;
  return `${t}  T${n}: { fields: { x: int } }\n`;
};
const codes = (yaml: string): string[] => run({ 't.yaml': header + yaml }).diags.items.map((d) => d.code);

describe('schema nesting', () => {
  it('recursive and mutually recursive types nest by name', () => {
    const yaml = `types:\n  Tree: { fields: { children: "Tree[]", parent: Tree? } }\n  A: { fields: { b: B? } }\n  B: { fields: { a: A? } }\n${agg('{ t: Tree, a: A }')}`;
    expect(codes(yaml)).toEqual([]);
  });

  it('a chain of 20 records generates; one of 30 is ES3035 at the version', () => {
    expect(codes(chain(20) + agg('{ t: T0 }'))).toEqual([]);
    const diags = run({ 't.yaml': header + chain(30) + agg('{ t: T0 }') }).diags.items;
    expect(diags.map((d) => [d.code, d.line])).toEqual([['ES3035', 39]]);
    expect(diags[0]?.message).toMatch(/nests \d+ levels deep through T0 → T1 → /);
  });

  it('20,000 chained optional types: one diagnostic, no stack overflow', () => {
    expect(codes(chain(20_000, '?') + agg('{ t: T0 }'))).toEqual(['ES3035']);
  });

  it('the state counts too (its schema is the snapshot encoding)', () => {
    const yaml = `${chain(40)}aggregates:\n  Cart:\n    state:\n      t: T0?\n    events:\n      Added: { versions: [ { fields: {} } ] }\n`;
    expect(codes(yaml)).toEqual(['ES3035']);
  });
});
