// What the event-store benchmarks share: the example generated and transpiled into a folder,
// importing the built runtime (dist/) as a user's service would, and the Order events they append.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dist = (rel) => pathToFileURL(path.join(root, 'dist/generator', rel)).href;

/** The example, generated and transpiled into `dir`; resolves to its orders/repository.js module. */
export async function generateExample(dir, options = {}) {
  await writeExample(dir, options);
  return import(pathToFileURL(path.join(dir, 'orders/repository.js')).href);
}

/**
 * The example's generated modules and its user-owned ones, transpiled to JavaScript in `dir`;
 * `runtimeModule` (a file URL) runs them on another build's runtime (a baseline).
 */
export async function writeExample(dir, { snapshots = true, runtimeModule = dist('runtime/index.js') } = {}) {
  const { generate } = await import(dist('pipeline.js'));
  const { createTemplateSet } = await import(dist('core/templates.js'));
  const { builtInTemplates } = await import(dist('cli/project.js'));
  const text = readFileSync(path.join(root, 'generated-example/events/orders.yaml'), 'utf8');
  // Without snapshots: the Order aggregate as a store that keeps none (as Emmett keeps none).
  const spec = snapshots ? text : text.replace(/^ *snapshotEvery: \d+\n/m, '');
  if (!snapshots && spec === text) throw new Error('bench: the example spec has no snapshotEvery line to drop');
  // The user-owned files in `<dir>/eventsmith/`, the generated ones in `<dir>/`.
  const customDir = { fromOut: 'eventsmith', toOut: '..' };
  const result = generate([{ file: 'orders.yaml', text: spec }], createTemplateSet(await builtInTemplates()), { runtimeModule, customDir });
  if (!result.files) throw new Error(JSON.stringify(result.diagnostics));
  const exampleCustom = path.join(root, 'generated-example/src/eventsmith/orders');
  const custom = new Map(readdirSync(exampleCustom).map((n) => [`orders/${n}`, readFileSync(path.join(exampleCustom, n), 'utf8')]));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const f of result.files) {
    if (!f.path.endsWith('.ts')) continue;
    const text = (f.userOwned && custom.get(f.path)) || f.content;
    const target = path.join(dir, f.userOwned ? 'eventsmith' : '', f.path.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: f.path }).outputText);
  }
}

const item = (n) => ({ productId: `p-${n}`, quantity: 1 + (n % 3), unitPrice: { amount: `${n % 100}.99`, currency: 'EUR' } });

/** The n-th Order event of a stream: placed, confirmed, cancelled in turn. */
export function orderEvent(n) {
  switch (n % 3) {
    case 0:
      return {
        type: 'com.example.orders.order.placed',
        data: { customerId: `c-${n}`, items: [item(n), item(n + 1)], total: { amount: `${n}.50`, currency: 'EUR' }, shippingAddress: null },
      };
    case 1:
      return { type: 'com.example.orders.order.confirmed', data: { confirmedAt: new Date(1_700_000_000_000 + n) } };
    default:
      return { type: 'com.example.orders.order.cancelled', data: { reason: `reason ${n}`, cancelledAt: new Date(1_700_000_000_000 + n) } };
  }
}

export const batchOf = (size, from) => Array.from({ length: size }, (_, i) => orderEvent(from + i));

export const now = () => Number(process.hrtime.bigint()) / 1e6;

export function median(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}
