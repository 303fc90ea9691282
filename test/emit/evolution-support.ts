// Generating a spec into a scratch folder under test/tmp/ for the tests that run or type-check
// the generated upcasters and reducers: the real pipeline (load → validate → resolve → emit) and
// the real writer, then either transpiled to JavaScript (no type check) or checked with tsc.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { builtInTemplates } from '../../generator/cli/project.js';
import { formatDiagnostic } from '../../generator/core/diagnostics.js';
import type { GeneratedFile } from '../../generator/core/generated-file.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { generate } from '../../generator/pipeline.js';
import type { CustomDirLink } from '../../generator/emit/context.js';
import { writeOutput, type WriteResult } from '../../generator/write/index.js';
import { planUserFiles, prepareUserFiles, type UserFilesPlan } from '../../generator/write/user-files.js';

export const root = path.join(import.meta.dirname, '../..');
const runtimeSource = path.join(root, 'generator/runtime/index.ts');

/** A fresh folder under test/tmp/, removed by the returned function. */
export function scratch(prefix: string): { dir: string; remove: () => void } {
  const base = path.join(root, 'test/tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, `${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The generated files of one spec text; throws with the diagnostics when it does not resolve. */
export async function generateFiles(file: string, text: string, runtimeModule = 'eventsmith/runtime', customDir?: CustomDirLink): Promise<readonly GeneratedFile[]> {
  const result = generate([{ file, text }], createTemplateSet(await builtInTemplates()), { runtimeModule, ...(customDir ? { customDir } : {}) });
  if (!result.files) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
  return result.files;
}

/**
 * `generate` as the CLI does it, in the default layout: the generated files into `dir` through
 * the real writer, the user-owned ones into `eventsmith` beside it (created once, later only
 * given the stubs of new hooks).
 */
export async function generateInto(dir: string, file: string, text: string): Promise<WriteResult & { readonly user: UserFilesPlan }> {
  const files = await generateFiles(file, text);
  const customDir = path.join(path.dirname(dir), 'eventsmith');
  const user = await planUserFiles({ customDir, outDir: dir, shown: (p) => path.relative(path.dirname(dir), p) }, files.filter((f) => f.userOwned));
  const writeUser = await prepareUserFiles(customDir, user.files);
  const written = await writeOutput(dir, files);
  await writeUser();
  return { ...written, user };
}

/** generateJs's layout: the user-owned files in `<dir>/eventsmith/`, the generated ones in `<dir>/`. */
const jsLayout: CustomDirLink = { fromOut: 'eventsmith', toOut: '..' };

/**
 * Generates `text` into `dir` as JavaScript: every TypeScript file transpiled on its own
 * (`ts.transpileModule`: types erased, nothing checked), importing the runtime from its source.
 * `replace` gives the content of files to use instead of the generated ones (filled custom files).
 */
export async function generateJs(dir: string, file: string, text: string, replace: ReadonlyMap<string, string> = new Map()): Promise<void> {
  const all = (await generateFiles(file, text, runtimeSource, jsLayout)).map((f): [string, string] => [f.userOwned ? `eventsmith/${f.path}` : f.path, f.content]);
  for (const [rel, content] of [...all.filter(([rel]) => !replace.has(rel)), ...replace]) {
    const target = path.join(dir, rel);
    mkdirSync(path.dirname(target), { recursive: true });
    if (!rel.endsWith('.ts')) writeFileSync(target, content);
    else writeFileSync(target.replace(/\.ts$/, '.js'), ts.transpileModule(content, { compilerOptions: transpileOptions, fileName: rel }).outputText);
  }
}

const transpileOptions: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };

/** The example's hand-written custom files, keyed by their path under `src/` (`eventsmith/orders/deciders.ts`). */
export function exampleCustomFiles(): Map<string, string> {
  const dir = path.join(root, 'generated-example/src/eventsmith/orders');
  return new Map(readdirSync(dir).map((name) => [`eventsmith/orders/${name}`, readFileSync(path.join(dir, name), 'utf8')]));
}

/**
 * `tsc --strict --noUncheckedIndexedAccess` over every .ts file under `dir`, with the runtime
 * import mapped to its source; returns the error lines with paths relative to `dir`.
 */
export function typeCheck(dir: string): string[] {
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022'],
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      skipLibCheck: true,
      baseUrl: '.',
      paths: { 'eventsmith/runtime': [path.relative(dir, runtimeSource)] },
    },
    include: ['**/*.ts'],
  };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  let output = '';
  try {
    output = execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    output = String((e as { stdout?: string }).stdout ?? e);
  }
  return output.split('\n').filter((l) => /error TS\d+/.test(l));
}
