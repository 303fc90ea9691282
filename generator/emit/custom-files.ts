// The user-owned files: where they live (`<customDir>/<slug>/`, outside the output folder, so
// that deleting or git-ignoring the generated folder never loses them), the relative imports
// between them and the generated modules, and their header: whose they are, why a stub does not
// compile, and what generate does when the spec gains another custom step after the file exists
// (it adds the stub, write/merge-stubs.ts; it never rewrites the user's code).
import path from 'node:path';
import type { Domain } from '../core/model.js';
import { domainSlug } from '../core/names.js';
import type { CustomDirLink, EmitOptions } from './context.js';
import { lineComment } from './ts-print.js';

/** The default layout: `src/generated` (generated) beside `src/eventsmith` (yours). */
export const defaultCustomDir: CustomDirLink = { fromOut: '../eventsmith', toOut: '../generated' };

/** The user-owned files, one of each kind per domain at most. */
export type CustomFileKind = 'upcasters' | 'reducers' | 'deciders' | 'sagas' | 'projections';

/** A user-owned file's path, relative to the custom folder: `orders/reducers.ts`. */
export function customFilePath(domain: Domain, kind: CustomFileKind): string {
  return `${domainSlug(domain.name)}/${kind}.ts`;
}

function specifier(p: string): string {
  const n = path.posix.normalize(p);
  return n.startsWith('.') ? n : `./${n}`;
}

/** From a generated module of `domain` (`<out>/<slug>/x.ts`) to its custom file: `../../eventsmith/orders/reducers.js`. */
export function customModule(options: EmitOptions, domain: Domain, kind: CustomFileKind, ext = '.js'): string {
  return specifier(`../${(options.customDir ?? defaultCustomDir).fromOut}/${domainSlug(domain.name)}/${kind}${ext}`);
}

/** From a custom file of `domain` to one of its generated modules: `../../generated/orders/types.js`. */
export function generatedModule(options: EmitOptions, domain: Domain, name: string, ext = '.js'): string {
  return specifier(`../${(options.customDir ?? defaultCustomDir).toOut}/${domainSlug(domain.name)}/${name}${ext}`);
}

/** From the domain's catalog (`<out>/<slug>/docs/catalog.md`) to a custom file, for links. */
export function customFileFromCatalog(options: EmitOptions, domain: Domain, kind: CustomFileKind): string {
  return `../${customModule(options, domain, kind, '.ts')}`.replace(/^\.\.\/\.\//, '../');
}

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
  /** Where the types to use come from. */
  readonly typesFrom: string;
  /** The generated module that imports this one, relative to it. */
  readonly generated: string;
  readonly shape: string;
}

export function customHeader(domain: Domain, h: CustomHeader): string {
  const intro = lineComment([
    `Custom ${h.what} of the \`${domain.name}\` domain: ${h.subject ?? `what its spec marks ${h.marker}`}.`,
    `This file is yours. It lives outside the generated folder, so deleting or git-ignoring that folder never touches it. \`eventsmith generate\` created it and never rewrites your code. The generated ${h.generated} imports each function below and re-checks its type, so a missing or mistyped one is a compile error, not a runtime surprise. A stub has no return statement: it does not compile until you implement it.`,
    `When the spec later ${h.added ?? `marks another one ${h.marker}`}, generate adds its typed stub at the end of this file and the types it needs (from ${h.typesFrom}) to the imports, and changes nothing else. A function whose signature no longer matches the spec is reported with its line and column, never rewritten. Each one has this shape:`,
  ]);
  return `${intro}\n//\n//   ${h.shape}`;
}
