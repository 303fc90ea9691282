// Templates are data handed to the emitters: the CLI reads them (built-ins from templates/,
// overrides from a user folder) and emitters stay pure. Each run gets its own Handlebars
// environment so compiled templates and helpers never leak between runs.
import Handlebars from 'handlebars';

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
  const hbs = Handlebars.create();
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  const get = (name: string): Handlebars.TemplateDelegate => {
    const hit = compiled.get(name);
    if (hit) return hit;
    const text = overrides.get(name) ?? builtIn.get(name);
    if (text === undefined) throw new TemplateError(name, 'no such template');
    // noEscape: we print code, not HTML. strict: a typo in a user's override fails loudly.
    const fn = hbs.compile(text, { noEscape: true, strict: true });
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
function normaliseNewlines(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+/, '')
    .trimEnd()}\n`;
}
