// Templates are data handed to the emitters: the CLI reads them (built-ins from templates/,
// overrides from a user folder) and emitters stay pure. Each run gets its own Handlebars
// environment so compiled templates and helpers never leak between runs.
// Built-in templates come precompiled from the build (scripts/precompile.mjs) and need only
// Handlebars' runtime; its compiler is loaded when a run has overrides or edited templates.
import type HandlebarsNamespace from 'handlebars';
import { loadPrecompiled, requireLazily } from './precompiled.js';
import { templateCompileOptions } from './template-options.js';

type Handlebars = typeof HandlebarsNamespace;
type Precompiled = { readonly [name: string]: { readonly source: string; readonly spec: Parameters<Handlebars["template"]>[0] } | undefined };

export interface TemplateSet {
  /** Render `name` (e.g. `types.ts.hbs`) with a flat, precomputed view. */
  render(name: string, view: object): string;
  /** Names of templates supplied by the user rather than built in. */
  readonly overridden: readonly string[];
}

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    message: string,
  ) {
    super(`${template}: ${message}`);
  }
}

export function createTemplateSet(builtIn: ReadonlyMap<string, string>, overrides: ReadonlyMap<string, string> = new Map()): TemplateSet {
  const precompiled = loadPrecompiled<Precompiled>('templates');
  // One environment per run; the full one (with the compiler) only when something must be compiled.
  let env: { readonly hbs: Handlebars; readonly full: boolean } | undefined;
  const environment = (full: boolean): Handlebars => {
    if (env === undefined || (full && !env.full)) {
      const module = full ? 'handlebars' : 'handlebars/runtime';
      env = { hbs: requireLazily<{ default: Handlebars }>(module).default.create(), full };
    }
    return env.hbs;
  };
  const compiled = new Map<string, HandlebarsNamespace.TemplateDelegate>();
  const get = (name: string): HandlebarsNamespace.TemplateDelegate => {
    const hit = compiled.get(name);
    if (hit) return hit;
    const text = overrides.get(name) ?? builtIn.get(name);
    if (text === undefined) throw new TemplateError(name, 'no such template');
    const pre = overrides.has(name) ? undefined : precompiled?.[name];
    const fn = pre !== undefined && pre.source === text
      ? environment(false).template(pre.spec)
      : environment(true).compile(text, templateCompileOptions);
    compiled.set(name, fn);
    return fn;
  };
  return {
    overridden: [...overrides.keys()].filter((k) => builtIn.has(k)).sort(),
    render(name, view) {
      try {
        return normaliseNewlines(get(name)(view));
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        throw new TemplateError(name, e instanceof Error ? e.message : String(e));
      }
    },
  };
}

/** One trailing newline, no trailing spaces, at most one blank line in a row: a fixed layout whatever the template's whitespace. */
export function normaliseNewlines(text: string): string {
  // `(?<![ \t])`: a match can only start where a run of blanks does, as it always did, without
  // the engine trying again from every blank of every indentation (a third of the time, cold,
  // on the 5 MB a 1,000-version run renders).
  return `${text
    .replace(/(?<![ \t])[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+/, '')
    .trimEnd()}\n`;
}
