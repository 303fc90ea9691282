// The registry artifact of one domain, written only when the configuration has `registry:`:
//   <slug>/registry.ts   the subject of every event and command version (by the configured naming
//                        strategy) and a typed binding of a schema-id resolver to them
// The subjects come from the same plan `eventsmith registry push` registers (generator/registry/plan.ts).
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Domain } from '../core/model.js';
import { domainSlug } from '../core/names.js';
import { registryPlan } from '../registry/plan.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { tsString } from './ts-print.js';

export const emitRegistry: Emitter = (ctx) => {
  const registry = ctx.options.registry;
  if (registry === undefined) return [];
  const plan = registryPlan(ctx.model, registry);
  return ctx.model.domains.map((domain) => registryFile(domain, plan.filter((e) => e.domain === domain), ctx));
};

export interface RegistryView {
  readonly banner: string;
  readonly imports: string;
  readonly strategies: string;
  readonly subjects: readonly { readonly key: string; readonly value: string }[];
  readonly resolverType: string;
  readonly bindingType: string;
}

function registryFile(domain: Domain, entries: ReturnType<typeof registryPlan>, ctx: EmitContext): GeneratedFile {
  const imports = new Imports();
  const resolverType = imports.type(ctx.options.runtimeModule, 'SchemaIdResolver');
  const bindingType = imports.type(ctx.options.runtimeModule, 'PublishRegistry');
  const byType = new Map<string, string[]>();
  for (const e of entries) {
    const list = byType.get(e.message.ceType) ?? [];
    list.push(`${e.version.version}: ${tsString(e.subject)}`);
    byType.set(e.message.ceType, list);
  }
  const strategies = [...new Set(entries.map((e) => e.strategy))].sort().join(', ');
  const view: RegistryView = {
    banner: bannerFor(domain, ctx),
    imports: imports.render(),
    strategies: strategies === '' ? 'none' : strategies,
    subjects: [...byType].map(([type, versions]) => ({ key: tsString(type), value: `{ ${versions.join(', ')} }` })),
    resolverType,
    bindingType,
  };
  return { path: `${domainSlug(domain.name)}/registry.ts`, content: ctx.templates.render('registry.ts.hbs', view) };
}
