// The user-owned deciders under tsc --strict --noUncheckedIndexedAccess: an unfilled stub does
// not compile (an error at that function), a filled one does, a decider that returns an event
// its command does not `emit` fails where the generated deciders.ts re-checks it, and a command
// added to the spec after the user file exists fails as a missing export (generate never
// rewrites the user's file). One tsc run checks four generated projects side by side.
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
import type { Lock, LockEmits, VaultId, VaultState } from '../types.js';

export function decideLock(state: VaultState, command: Lock, meta: CommandMeta<VaultId>): readonly LockEmits[] {
  if (state.locked) return [{ type: 'com.example.vault.vault.lockrefused', data: { reason: \`already locked, \${command.by}\` } }];
  return [{ type: 'com.example.vault.vault.locked', data: { at: meta.now } }];
}
`;

/** Compiles on its own, but returns an event Lock does not emit. */
const wrongEvent = `import type { CommandMeta } from 'eventsmith/runtime';
import type { Lock, VaultEvent, VaultId, VaultState } from '../types.js';

export function decideLock(_state: VaultState, _command: Lock, _meta: CommandMeta<VaultId>): readonly VaultEvent[] {
  return [{ type: 'com.example.vault.vault.opened', data: {} }];
}
`;

const work = scratch('decider-stubs');
let errors: string[] = [];
const laterWrites: { written: readonly string[]; unchanged: readonly string[] } = { written: [], unchanged: [] };

function errorsIn(project: string): string[] {
  return errors.filter((l) => l.startsWith(`${project}/`));
}

beforeAll(async () => {
  const at = (p: string): string => path.join(work.dir, p);
  await generateInto(at('unfilled'), 'vault.yaml', spec);

  await generateInto(at('filled'), 'vault.yaml', spec);
  writeFileSync(at('filled/vault/custom/deciders.ts'), filled);

  await generateInto(at('wrong'), 'vault.yaml', spec);
  writeFileSync(at('wrong/vault/custom/deciders.ts'), wrongEvent);

  await generateInto(at('later'), 'vault.yaml', spec);
  writeFileSync(at('later/vault/custom/deciders.ts'), filled);
  Object.assign(laterWrites, await generateInto(at('later'), 'vault.yaml', laterSpec));

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
      ['unfilled/vault/custom/deciders.ts', 'TS2355', '): readonly LockEmits[] {'],
    ]);
  });

  it('a filled decider compiles, and so does everything generated around it', () => {
    expect(errorsIn('filled')).toEqual([]);
  });

  it('a decider that returns an event its command does not emit fails where deciders.ts re-checks it', () => {
    const found = errorsIn('wrong');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^wrong\/vault\/deciders\.ts\(\d+,\d+\): error TS2322: /);
    expect(lineOf(found[0] ?? '')).toMatch(/^const checkedDecideLock: /);
  });

  it('a command added after the user file exists: the file is kept and the missing decider fails to compile', () => {
    expect(laterWrites.unchanged).toContain('vault/custom/deciders.ts');
    expect(laterWrites.written).toContain('vault/deciders.ts');
    expect(errorsIn('later')).toEqual([
      // TS2305 (TS2724 when a name is close enough to suggest).
      expect.stringMatching(/^later\/vault\/deciders\.ts\(\d+,\d+\): error TS(2305|2724): .*"\.\/custom\/deciders\.js".* has no exported member (named )?'decideOpen'/),
    ]);
  });

  it('nothing else fails', () => {
    expect(errors.filter((e) => !/^(unfilled|filled|wrong|later)\//.test(e))).toEqual([]);
  });
});
