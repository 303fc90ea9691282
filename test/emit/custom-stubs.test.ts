// The user-owned custom files, type-checked with tsc --strict --noUncheckedIndexedAccess: an
// unfilled stub does not compile (an error at that function), a filled one does, a mistyped
// implementation fails at the import site's re-check, and a custom step added to the spec after
// the user file exists gets its stub added to that file (the user's code kept byte for byte),
// which then fails to compile at the new stub until it is filled in.
// One tsc run checks four generated projects side by side, each laid out as `generate` does it:
// `<project>/generated/` (the output folder) beside `<project>/eventsmith/` (the custom folder).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInto, scratch, typeCheck } from './evolution-support.js';

const spec = `domain: com.example.ledger
source: urn:example:ledger
aggregates:
  Ledger:
    state:
      total: { type: long, default: 0 }
      memos: { type: "string[]", default: [] }
    events:
      Posted:
        versions:
          - fields: { amount: int, memo: string }
          - fields: { amount: long, memo: string, code: string }
            upcast: custom
            allowBreaking: [ { rule: MODE_VIOLATION, reason: the custom upcast fills code } ]
        apply: custom
      Noted:
        versions: [ { fields: { text: string } } ]
`;

/** The spec a release later: Posted gains a version 3, also \`upcast: custom\`. */
const laterSpec = spec.replace(
  '        apply: custom',
  '          - fields: { amount: long, memo: string, code: string, tag: string? }\n            upcast: custom\n        apply: custom',
);

const filledUpcasters = `import type { PostedV1, PostedV2 } from '../../generated/ledger/types.js';

export function upcastPostedV1ToV2(v1: PostedV1): PostedV2 {
  return { amount: BigInt(v1.amount), memo: v1.memo, code: 'legacy' };
}
`;

const filledReducers = `import type { LedgerState, Posted } from '../../generated/ledger/types.js';

export function applyPosted(state: LedgerState, data: Posted): LedgerState {
  return { ...state, total: state.total + data.amount, memos: [...state.memos, data.memo] };
}
`;

/** Compiles on its own, but is not the step the generated code needs: it returns version 1. */
const mistypedUpcasters = `import type { PostedV1 } from '../../generated/ledger/types.js';

export function upcastPostedV1ToV2(v1: PostedV1): PostedV1 {
  return v1;
}
`;

const mistypedReducers = `import type { LedgerState } from '../../generated/ledger/types.js';

export function applyPosted(state: LedgerState, data: { readonly amount: number }): LedgerState {
  return { ...state, total: state.total + BigInt(data.amount) };
}
`;

const work = scratch('custom-stubs');
let errors: string[] = [];
let laterWrites: Awaited<ReturnType<typeof generateInto>> | undefined;

function errorsIn(project: string): string[] {
  return errors.filter((l) => l.startsWith(`${project}/`));
}

beforeAll(async () => {
  const at = (p: string): string => path.join(work.dir, p);
  await generateInto(at('unfilled/generated'), 'ledger.yaml', spec);

  await generateInto(at('filled/generated'), 'ledger.yaml', spec);
  writeFileSync(at('filled/eventsmith/ledger/upcasters.ts'), filledUpcasters);
  writeFileSync(at('filled/eventsmith/ledger/reducers.ts'), filledReducers);

  await generateInto(at('mistyped/generated'), 'ledger.yaml', spec);
  writeFileSync(at('mistyped/eventsmith/ledger/upcasters.ts'), mistypedUpcasters);
  writeFileSync(at('mistyped/eventsmith/ledger/reducers.ts'), mistypedReducers);

  await generateInto(at('later/generated'), 'ledger.yaml', spec);
  writeFileSync(at('later/eventsmith/ledger/upcasters.ts'), filledUpcasters);
  writeFileSync(at('later/eventsmith/ledger/reducers.ts'), filledReducers);
  laterWrites = await generateInto(at('later/generated'), 'ledger.yaml', laterSpec);

  errors = typeCheck(work.dir);
}, 120_000);

afterAll(() => work.remove());

/** `file(line,col): error TSxxxx: message` → the source line it points at. */
function lineOf(error: string): string {
  const m = /^(.+?)\((\d+),\d+\): error/.exec(error);
  if (!m?.[1] || !m[2]) throw new Error(`not a tsc error line: ${error}`);
  return readFileSync(path.join(work.dir, m[1]), 'utf8').split('\n')[Number(m[2]) - 1] ?? '';
}

describe('custom steps under tsc --strict', () => {
  it('an unfilled stub is a compile error at that function, and only there', () => {
    const found = errorsIn('unfilled');
    expect(found.map((e) => [e.replace(/\(.*$/, ''), /error (TS\d+)/.exec(e)?.[1], lineOf(e)])).toEqual([
      ['unfilled/eventsmith/ledger/reducers.ts', 'TS2355', 'export function applyPosted(state: LedgerState, data: Posted): LedgerState {'],
      ['unfilled/eventsmith/ledger/upcasters.ts', 'TS2355', 'export function upcastPostedV1ToV2(v1: PostedV1): PostedV2 {'],
    ]);
  });

  it('filled stubs compile, and so does everything generated around them', () => {
    expect(errorsIn('filled')).toEqual([]);
  });

  it('a mistyped implementation fails where the generated code re-checks it', () => {
    const found = errorsIn('mistyped');
    expect(found).toHaveLength(2);
    const [reducers, upcasters] = found;
    expect(reducers).toMatch(/^mistyped\/generated\/ledger\/reducers\.ts\(\d+,\d+\): error TS2322: /);
    expect(lineOf(reducers ?? '')).toMatch(/^const checkedApplyPosted: /);
    expect(upcasters).toMatch(/^mistyped\/generated\/ledger\/upcasters\.ts\(\d+,\d+\): error TS2322: .*PostedV1.*PostedV2/);
    expect(lineOf(upcasters ?? '')).toMatch(/^const checkedUpcastPostedV1ToV2: /);
  });

  it('a custom step added after the user file exists: generate adds its stub, keeps the user code, and the stub fails to compile until filled', () => {
    expect(laterWrites?.user.files.map((f) => [f.path, f.action, f.added])).toEqual([
      ['ledger/reducers.ts', 'keep', []],
      ['ledger/upcasters.ts', 'update', ['upcastPostedV2ToV3']],
    ]);
    expect(laterWrites?.written).toContain('ledger/upcasters.ts');
    // The user's text, with the type import and the stub added, and nothing else changed.
    expect(readFileSync(path.join(work.dir, 'later/eventsmith/ledger/upcasters.ts'), 'utf8')).toBe(
      filledUpcasters.replace('PostedV1, PostedV2 }', 'PostedV1, PostedV2, PostedV3 }') +
        [
          '',
          '// TODO: implement; until this returns the version 3 data, the project does not compile.',
          '/** `com.example.ledger.ledger.posted` version 2 → 3 (`upcast: custom` in the spec). */',
          'export function upcastPostedV2ToV3(v2: PostedV2): PostedV3 {',
          '}',
          '',
        ].join('\n'),
    );
    expect(readFileSync(path.join(work.dir, 'later/eventsmith/ledger/reducers.ts'), 'utf8')).toBe(filledReducers);
    const found = errorsIn('later');
    expect(found.map((e) => [e.replace(/\(.*$/, ''), /error (TS\d+)/.exec(e)?.[1], lineOf(e)])).toEqual([
      ['later/eventsmith/ledger/upcasters.ts', 'TS2355', 'export function upcastPostedV2ToV3(v2: PostedV2): PostedV3 {'],
    ]);
  });

  it('nothing else fails', () => {
    expect(errors.filter((e) => !/^(unfilled|filled|mistyped|later)\//.test(e))).toEqual([]);
  });
});
