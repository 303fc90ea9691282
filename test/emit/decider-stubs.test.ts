// The user-owned deciders under tsc --strict --noUncheckedIndexedAccess: an unfilled stub does
// not compile (an error at that function), a filled one does, a decider that returns an event
// its command does not `emit` fails where the generated deciders.ts re-checks it, and a command
// added to the spec after the user file exists gets its stub (and type imports) added to the
// user's file, which fails to compile at the new stub until filled in. One tsc run checks four
// generated projects side by side, each as `<project>/generated/` beside `<project>/eventsmith/`.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInto, scratch, typeCheck } from './evolution-support.js';

const spec = `domain: com.example.vault
source: urn:example:vault
aggregates:
  Vault:
    id: string
    state:
      locked: { type: boolean, default: false }
    events:
      Locked:
        versions: [ { fields: { at: timestamp-millis } } ]
        apply: { locked: true }
      LockRefused:
        versions: [ { fields: { reason: string } } ]
      Opened:
        versions: [ { fields: {} } ]
        apply: { locked: false }
    commands:
      Lock:
        versions: [ { fields: { by: string } } ]
        emits: [Locked, LockRefused]
`;

/** The spec a release later: Vault gains an Open command. */
const laterSpec = `${spec}      Open:\n        versions: [ { fields: {} } ]\n        emits: [Opened]\n`;

const filled = `import type { CommandMeta } from 'eventsmith/runtime';
import type { Lock, LockEmits, VaultId, VaultState } from '../../generated/vault/types.js';

export function decideLock(state: VaultState, command: Lock, meta: CommandMeta<VaultId>): readonly LockEmits[] {
  if (state.locked) return [{ type: 'com.example.vault.vault.lockrefused', data: { reason: \`already locked, \${command.by}\` } }];
  return [{ type: 'com.example.vault.vault.locked', data: { at: meta.now } }];
}
`;

/** Compiles on its own, but returns an event Lock does not emit. */
const wrongEvent = `import type { CommandMeta } from 'eventsmith/runtime';
import type { Lock, VaultEvent, VaultId, VaultState } from '../../generated/vault/types.js';

export function decideLock(_state: VaultState, _command: Lock, _meta: CommandMeta<VaultId>): readonly VaultEvent[] {
  return [{ type: 'com.example.vault.vault.opened', data: {} }];
}
`;

const work = scratch('decider-stubs');
let errors: string[] = [];
let laterWrites: Awaited<ReturnType<typeof generateInto>> | undefined;

function errorsIn(project: string): string[] {
  return errors.filter((l) => l.startsWith(`${project}/`));
}

beforeAll(async () => {
  const at = (p: string): string => path.join(work.dir, p);
  await generateInto(at('unfilled/generated'), 'vault.yaml', spec);

  await generateInto(at('filled/generated'), 'vault.yaml', spec);
  writeFileSync(at('filled/eventsmith/vault/deciders.ts'), filled);

  await generateInto(at('wrong/generated'), 'vault.yaml', spec);
  writeFileSync(at('wrong/eventsmith/vault/deciders.ts'), wrongEvent);

  await generateInto(at('later/generated'), 'vault.yaml', spec);
  writeFileSync(at('later/eventsmith/vault/deciders.ts'), filled);
  laterWrites = await generateInto(at('later/generated'), 'vault.yaml', laterSpec);

  errors = typeCheck(work.dir);
}, 120_000);

afterAll(() => work.remove());

/** `file(line,col): error TSxxxx: message` → the source line it points at. */
function lineOf(error: string): string {
  const m = /^(.+?)\((\d+),\d+\): error/.exec(error);
  if (!m?.[1] || !m[2]) throw new Error(`not a tsc error line: ${error}`);
  return readFileSync(path.join(work.dir, m[1]), 'utf8').split('\n')[Number(m[2]) - 1] ?? '';
}

describe('deciders under tsc --strict', () => {
  it('an unfilled stub is a compile error at that function, and only there', () => {
    const found = errorsIn('unfilled');
    expect(found.map((e) => [e.replace(/\(.*$/, ''), /error (TS\d+)/.exec(e)?.[1], lineOf(e)])).toEqual([
      // TS2355 points at the return type, below the parameters, one per line.
      ['unfilled/eventsmith/vault/deciders.ts', 'TS2355', '): readonly LockEmits[] {'],
    ]);
  });

  it('a filled decider compiles, and so does everything generated around it', () => {
    expect(errorsIn('filled')).toEqual([]);
  });

  it('a decider that returns an event its command does not emit fails where deciders.ts re-checks it', () => {
    const found = errorsIn('wrong');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^wrong\/generated\/vault\/deciders\.ts\(\d+,\d+\): error TS2322: /);
    expect(lineOf(found[0] ?? '')).toMatch(/^const checkedDecideLock: /);
  });

  it('a command added after the user file exists: its decider stub and types are added to the file, which fails to compile there until filled', () => {
    expect(laterWrites?.user.files.map((f) => [f.path, f.action, f.added])).toEqual([['vault/deciders.ts', 'update', ['decideOpen']]]);
    expect(laterWrites?.written).toContain('vault/deciders.ts');
    const text = readFileSync(path.join(work.dir, 'later/eventsmith/vault/deciders.ts'), 'utf8');
    // The user's lines, the import list extended in place, the stub at the end.
    expect(text.startsWith(filled.replace('VaultId, VaultState }', 'VaultId, VaultState, Open, OpenEmits }'))).toBe(true);
    expect(errorsIn('later').map((e) => [e.replace(/\(.*$/, ''), /error (TS\d+)/.exec(e)?.[1], lineOf(e)])).toEqual([
      ['later/eventsmith/vault/deciders.ts', 'TS2355', '): readonly OpenEmits[] {'],
    ]);
  });

  it('nothing else fails', () => {
    expect(errors.filter((e) => !/^(unfilled|filled|wrong|later)\//.test(e))).toEqual([]);
  });
});
