// A seeded, time-bounded spec fuzzer over the whole CLI (in process): grammar-built specs, most
// of them valid, and the same specs damaged at the text level. For every one it asserts the
// promises of `generate`: exit 0 or 2 (1 only for --check), every stderr line a coded
// file:line:col diagnostic, nothing written on error; and for accepted specs: every .avsc
// parses with avsc, a second run's --check finds identical bytes, and (in one batched tsc run
// over every accepted output) the generated code compiles under --strict
// --noUncheckedIndexedAccess, unfilled custom stubs aside (TS2355, as in the goldens).
//
// fast-check drives the generation: seeded (the same samples every run, so a failure
// reproduces) and shrinking a failure to a small spec. FUZZ_SEED and FUZZ_RUNS override.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../generator/cli/main.js';
import { createCodec, type AvroSchemaJson } from '../../generator/runtime/index.js';
import { parseJson, type JsonValue } from '../../generator/runtime/json-text.js';
import { mutatedSpecText, specText } from './spec-arbitrary.js';

const root = path.join(import.meta.dirname, '..', '..');
const seed = Number(process.env.FUZZ_SEED ?? 20261206);
const runs = Number(process.env.FUZZ_RUNS ?? 80);
/** A safety valve on a loaded machine; the runs above normally finish well inside it. */
const timeLimitMs = 20_000;
/** Accepted outputs kept for the one tsc run. */
const maxTypecheck = 15;

const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
const accepted: string[] = [];
const stats = { accepted: 0, refused: 0 };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), isTTY: false });
  return { code, stdout, stderr };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** Avro JSON text → plain data; integer literals past 2^53 become bigint, so nothing is rounded. */
function exactJson(text: string): unknown {
  const plain = (v: JsonValue): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map(plain);
    if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [k, plain(x)]));
    const n = Number(v.text);
    return v.isInteger && !Number.isSafeInteger(n) ? BigInt(v.text) : n;
  };
  return plain(parseJson(text));
}

const diagnosticLine = /^[^\n]+:\d+:\d+ - (error|warning) ES\d{4}: \S[^\n]*$/;

async function checkSpec(text: string): Promise<void> {
  const n = counter++;
  const dir = path.join(work, `s${n}`);
  mkdirSync(dir);
  const spec = path.join(dir, 'spec.yaml');
  writeFileSync(spec, text);
  const out = path.join(dir, 'out');
  const r = await cli(['generate', spec, '--out', out]);
  expect([0, 2], r.stderr).toContain(r.code);
  expect(r.stderr).not.toMatch(/internal error|call stack|\n\s+at /i);
  if (r.code !== 0) {
    stats.refused++;
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(diagnosticLine);
    expect(existsSync(out), 'a refused spec wrote files').toBe(false);
    // Nor the custom folder beside it, where the user-owned stubs go.
    expect(readdirSync(dir)).toEqual(['spec.yaml']);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  stats.accepted++;
  const files = filesUnder(out);
  for (const f of files.filter((p) => p.endsWith('.avsc'))) {
    // Through the runtime's codec (avsc underneath, with longs as bigint): the .avsc as users load it.
    const schema = exactJson(readFileSync(f, 'utf8')) as AvroSchemaJson;
    expect(() => createCodec(schema), f).not.toThrow();
  }
  // Determinism: generating again finds every byte the same (and no file missing or extra).
  const again = await cli(['generate', spec, '--out', out, '--check']);
  expect(again.code, again.stderr).toBe(0);
  if (accepted.length < maxTypecheck) accepted.push(path.relative(work, out));
  else rmSync(dir, { recursive: true, force: true });
}

describe('spec fuzzer', () => {
  it('grammar-built specs: accepted ones generate, refused ones are refused cleanly', async () => {
    await fc.assert(fc.asyncProperty(specText(), checkSpec), { seed, numRuns: runs, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false });
    // The grammar must keep producing valid specs, or the compile check below proves nothing
    // (counted over the runs done: on a loaded machine the time limit may stop it early).
    expect(stats.accepted).toBeGreaterThanOrEqual(3);
    expect(stats.accepted).toBeGreaterThan((stats.accepted + stats.refused) / 10);
  }, 120_000);

  it('damaged specs: exit 2 with coded diagnostics and nothing written, or a clean generate', async () => {
    const before = { ...stats };
    await fc.assert(fc.asyncProperty(mutatedSpecText(), checkSpec), { seed: seed + 1, numRuns: runs, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false });
    const refused = stats.refused - before.refused;
    expect(refused).toBeGreaterThan((refused + stats.accepted - before.accepted) / 4);
  }, 120_000);

  it('every accepted output compiles under strict tsc (one batched run)', () => {
    expect(accepted.length).toBeGreaterThanOrEqual(3);
    writeFileSync(path.join(work, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      path.join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022'],
          types: ['node'],
          typeRoots: [path.join(root, 'node_modules', '@types')],
          strict: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          skipLibCheck: true,
          baseUrl: '.',
          paths: {
            'eventsmith/runtime': [path.join(root, 'generator', 'runtime', 'index.ts')],
            'eventsmith/testing': [path.join(root, 'generator', 'runtime', 'testing', 'index.ts')],
          },
        },
        include: accepted.map((a) => `${a}/**/*.ts`),
      }),
    );
    let output = '';
    try {
      output = execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: work, encoding: 'utf8' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    // An unfilled stub in the custom folder (eventsmith/ beside the output; apply: custom, a
    // command's decider) has no return: TS2355, by design.
    const unexpected = output
      .split('\n')
      .filter((l) => /error TS\d+/.test(l))
      .filter((l) => !/^s\d+\/eventsmith\/[^(]+\.ts\(\d+,\d+\): error TS2355:/.test(l));
    expect(unexpected).toEqual([]);
  }, 180_000);
});
