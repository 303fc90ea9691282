// The header of the user-owned files under `<slug>/custom/`: whose they are, why a stub does
// not compile, and what to do when the spec gains another custom step after the file exists
// (generate never rewrites it, so the compiler is what reports the missing function).
import type { Domain } from '../core/model.js';
import { lineComment } from './ts-print.js';

/** The signature to copy, per kind of file, with `<…>` placeholders. */
export const customFileNote = {
  upcaster: 'export function upcast<Event>V<n>ToV<n+1>(v<n>: <Event>V<n>): <Event>V<n+1> { … }',
  reducer: 'export function apply<Event>(state: <Aggregate>State, data: <Event>): <Aggregate>State { … }',
  decider:
    'export function decide<Command>(state: <Aggregate>State, command: <Command>, meta: CommandMeta<<Aggregate>Id>): readonly <Command>Emits[] { … }',
} as const;

export interface CustomHeader {
  /** `upcasters` or `reducers`. */
  readonly what: string;
  /** How the spec marks a custom step: `` `upcast: custom` ``. */
  readonly marker: string;
  /** What the file holds, when not `what its spec marks <marker>`. */
  readonly subject?: string;
  /** What the spec does later that needs another function, when not `marks another one <marker>`. */
  readonly added?: string;
  /** Where the types to use come from, when not only ../types.js. */
  readonly typesFrom?: string;
  /** The generated module that imports this one, relative to it. */
  readonly generated: string;
  readonly shape: string;
}

export function customHeader(domain: Domain, h: CustomHeader): string {
  const intro = lineComment([
    `Custom ${h.what} of the \`${domain.name}\` domain: ${h.subject ?? `what its spec marks ${h.marker}`}.`,
    `This file is yours. \`eventsmith generate\` created it once and never overwrites it. The generated ${h.generated} imports each function below and re-checks its type, so a missing or mistyped one is a compile error, not a runtime surprise. A stub has no return statement: it does not compile until you implement it.`,
    `When the spec later ${h.added ?? `marks another one ${h.marker}`}, generate leaves this file as it is and the compiler reports the missing export in ${h.generated}. Add it here, with the types imported from ${h.typesFrom ?? '../types.js'}:`,
  ]);
  const outro = lineComment([
    `Or move this file aside, run \`eventsmith generate\` to get fresh stubs for every custom one, and copy your implementations back.`,
  ]);
  return `${intro}\n//\n//   ${h.shape}\n//\n${outro}`;
}
