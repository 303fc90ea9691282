import type { GeneratedFile } from '../core/generated-file.js';
import { banner, markdownBanner } from '../core/generated-file.js';
import type { Domain, Model } from '../core/model.js';
import type { TemplateSet } from '../core/templates.js';
import type { StrategyConfig } from '../registry/plan.js';

export interface EmitOptions {
  /** Module specifier generated code imports the runtime from. */
  readonly runtimeModule: string;
  /**
   * How each spec file is named in banners, keyed by its diagnostic path. The CLI gives paths
   * relative to the output folder so the bytes do not depend on the working directory.
   */
  readonly specNames?: ReadonlyMap<string, string>;
  /** The configuration's `registry:` naming strategies; when set, `<slug>/registry.ts` is written. */
  readonly registry?: StrategyConfig;
  /**
   * Where the user-owned files live (the config's `customDir`), relative to the output folder
   * both ways, forward slashes; default: the default layout (custom-files.ts). Generated code
   * imports the custom files, and they import the generated types, by these relative paths.
   */
  readonly customDir?: CustomDirLink;
}

export interface CustomDirLink {
  /** The custom folder seen from the output folder: `../eventsmith`. */
  readonly fromOut: string;
  /** The output folder seen from the custom folder: `../generated`. */
  readonly toOut: string;
}

export const defaultEmitOptions: EmitOptions = { runtimeModule: 'eventsmith/runtime' };

/** What every emitter receives: a frozen model, the run's templates and options. Nothing else. */
export interface EmitContext {
  readonly model: Model;
  readonly templates: TemplateSet;
  readonly options: EmitOptions;
}

/** One emitter per artifact kind; a pure function from the model to files. */
export type Emitter = (ctx: EmitContext) => readonly GeneratedFile[];

/** The DO-NOT-EDIT banner of a file generated from `domain`'s spec. */
export function bannerFor(domain: Domain, ctx: EmitContext): string {
  return banner([specNameOf(domain, ctx)]);
}

/** The same banner for a generated Markdown file. */
export function markdownBannerFor(domain: Domain, ctx: EmitContext): string {
  return markdownBanner([specNameOf(domain, ctx)]);
}

function specNameOf(domain: Domain, ctx: EmitContext): string {
  return ctx.options.specNames?.get(domain.file) ?? domain.file;
}
