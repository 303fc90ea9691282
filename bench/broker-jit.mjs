// The dev broker's JIT: its CPU over the example's runs with the client compiler only (C1, the
// dev broker's default since 5804c2d) and with the optimising compiler too (C2, what
// BENCH_BROKER asks for). For each setting, in turn and flipped each round: a fresh broker and
// PostgreSQL, then the example twice against them (the first run meets a cold broker, the second
// a warmed one), the broker's CPU read from /proc around each run. Linux only.
// Usage: node bench/broker-jit.mjs [--runs 2] [--orders 300]   (--runs: rounds)
// (needs `npm run build` and `tsc -p generated-example`, as `--no-compile` runs of the example do)
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafka } from '../generator/dev/kafka.mjs';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { processCpuSeconds } from '../generator/dev/process-cpu.mjs';
import { BENCH_BROKER, runsFromArgv } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rounds = runsFromArgv(process.argv, 2);
const ordersAt = process.argv.indexOf('--orders');
const orders = ordersAt > 0 ? Number(process.argv[ordersAt + 1]) : 300;
const settings = [
  ['C1 (dev default)', {}],
  ['C1 + C2 (BENCH_BROKER)', BENCH_BROKER],
];

function example(env) {
  const r = spawnSync(process.execPath, [path.join(root, 'generated-example/scripts/run-example.mjs'), '--orders', String(orders), '--no-compile'], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const timing = /all final after [\d.]+ s \((\d+) orders\/s\); placement → final p50 ([\d,]+) ms/.exec(r.stdout);
  if (r.status !== 0 || !timing) throw new Error(`the example failed (exit ${r.status}):\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  return { ordersPerSecond: Number(timing[1]), p50: timing[2] };
}

const rows = [];
const load = [os.loadavg()[0]];
for (let round = 0; round < rounds; round++) {
  for (const [name, options] of round % 2 ? [...settings].reverse() : settings) {
    const [broker, cluster] = await Promise.all([startKafka({ ...options, ignoreKafkaBrokers: true }), startPostgres({ ignoreDatabaseUrl: true })]);
    try {
      const env = { DATABASE_URL: cluster.url, KAFKA_BROKERS: broker.brokers.join(',') };
      for (const run of ['cold', 'warm']) {
        const before = processCpuSeconds(broker.pid);
        const r = example(env);
        const after = processCpuSeconds(broker.pid);
        if (before === undefined || after === undefined) throw new Error('the broker’s CPU is not readable (Linux /proc only)');
        rows.push({ round: round + 1, name, run, cpu: after - before, ...r });
        console.error(`round ${round + 1} ${name} ${run}: broker CPU ${(after - before).toFixed(2)} s, ${r.ordersPerSecond} orders/s, p50 ${r.p50} ms`);
      }
    } finally {
      await broker.stop();
      await cluster.stop();
    }
  }
}
load.push(os.loadavg()[0]);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`rounds: ${rounds}, ${orders} orders a run; load average (1 min) at start / end: ${load.map((l) => l.toFixed(1)).join(' / ')}`);
console.log('| broker JIT | run | broker CPU over the run, s (median) | range | orders/s (median) |');
console.log('|---|---|---:|---|---:|');
for (const [name] of settings) {
  for (const run of ['cold', 'warm']) {
    const these = rows.filter((r) => r.name === name && r.run === run);
    const cpu = these.map((r) => r.cpu);
    console.log(`| ${name} | ${run} | ${median(cpu).toFixed(2)} | ${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)} | ${median(these.map((r) => r.ordersPerSecond))} |`);
  }
}
for (const run of ['cold', 'warm']) {
  const c1 = median(rows.filter((r) => r.name === settings[0][0] && r.run === run).map((r) => r.cpu));
  const c2 = median(rows.filter((r) => r.name === settings[1][0] && r.run === run).map((r) => r.cpu));
  console.log(`${run}: C1 / C2 broker CPU = ${(c1 / c2).toFixed(2)}×`);
}
