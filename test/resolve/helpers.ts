import { readFileSync } from 'node:fs';
import { Diagnostics } from '../../generator/core/diagnostics.js';
import type { Model } from '../../generator/core/model.js';
import { loadSpec, type LoadedSpec } from '../../generator/load/index.js';
import { resolve } from '../../generator/resolve/index.js';

/** The two header lines every inline test spec starts with (so a case's body starts on line 3). */
export const header = 'domain: com.example.t\nsource: urn:example:t\n';

/** [code, line, col, message substring] or, for multi-file cases, with the file last. */
export type Want = readonly [code: string, line: number, col: number, message: string, file?: string];

export function load(files: Readonly<Record<string, string>>): { specs: LoadedSpec[]; diags: Diagnostics } {
  const diags = new Diagnostics();
  const specs: LoadedSpec[] = [];
  for (const [file, text] of Object.entries(files)) {
    const spec = loadSpec(file, text, diags);
    if (!spec) throw new Error(`test spec ${file} does not load: ${diags.items.map((d) => d.message).join('; ')}`);
    specs.push(spec);
  }
  return { specs, diags };
}

export function run(files: Readonly<Record<string, string>>): { model: Model | undefined; diags: Diagnostics } {
  const { specs, diags } = load(files);
  return { model: resolve(specs, diags), diags };
}

export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
}

/** The DESIGN.md example with the two domains its saga refers to. */
export function exampleFiles(): Record<string, string> {
  return {
    'test/fixtures/orders.yaml': fixture('orders.yaml'),
    'test/fixtures/inventory.yaml': fixture('inventory.yaml'),
    'test/fixtures/payment.yaml': fixture('payment.yaml'),
  };
}
