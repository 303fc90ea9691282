// What an AsyncLocalStorage costs every promise of a Node 20 process. OpenTelemetry's Node
// tracer provider registers one (its context manager), and from then on each promise the process
// creates (KafkaJS's, pg's, ours) runs async_hooks' promise hooks. The example service with
// tracing on pays it on all its work; this measures the mechanism alone: the same promise-heavy
// loop (two async functions, three awaits per iteration) in child processes, plain and with one
// store entered, alternated, CPU time (user + system) per iteration.
// Usage: node bench/async-context.mjs [--runs 7]
import { execFileSync } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { median, runsFromArgv } from './timing.mjs';

const ITERATIONS = 1_000_000;

async function leaf(i) {
  return i + 1;
}

async function step(i) {
  const a = await leaf(i);
  return await Promise.resolve(a);
}

async function child(withStore) {
  if (withStore) new AsyncLocalStorage().enterWith({ traced: true });
  // Warm-up: both sides measure optimised code.
  for (let i = 0; i < 100_000; i++) await step(i);
  const before = process.cpuUsage();
  let sum = 0;
  for (let i = 0; i < ITERATIONS; i++) sum += await step(i);
  const used = process.cpuUsage(before);
  if (sum === 0) throw new Error('unreachable');
  process.stdout.write(`${((used.user + used.system) * 1000) / ITERATIONS}\n`);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] === 'als');
} else {
  const runs = runsFromArgv(process.argv);
  const self = fileURLToPath(import.meta.url);
  const side = (name) => Number(execFileSync(process.execPath, [self, '--child', name], { encoding: 'utf8' }).trim());
  const plain = [];
  const als = [];
  for (let r = 0; r < runs; r++) {
    // Alternate which side goes first.
    if (r % 2 === 0) {
      plain.push(side('plain'));
      als.push(side('als'));
    } else {
      als.push(side('als'));
      plain.push(side('plain'));
    }
  }
  const fmt = (xs) => `median ${median(xs).toFixed(0)} ns (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  const ratios = plain.map((p, i) => als[i] / p);
  console.log(`node ${process.version}, ${runs} runs per side, ${ITERATIONS.toLocaleString('en-US')} iterations each (2 async functions, 3 awaits)`);
  console.log(`plain                       ${fmt(plain)} CPU per iteration`);
  console.log(`with an AsyncLocalStorage   ${fmt(als)} CPU per iteration`);
  console.log(`with / plain                median of runs ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`);
}
