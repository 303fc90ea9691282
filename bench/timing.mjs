// Shared by the benchmarks: the runs argument, the median of samples, and running a command
// `runs` times for its median/min/max ms.
import { spawnSync } from 'node:child_process';

/** The middle sample (the upper one of an even count), as every figure here is reported. */
export function median(samples) {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

export function runsFromArgv(argv, fallback = 7) {
  const i = argv.indexOf('--runs');
  return i > 0 ? Number(argv[i + 1]) : fallback;
}

export function time(args, cwd, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${(r.stdout + r.stderr).slice(0, 2000)}`);
    samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], max: samples[samples.length - 1] };
}

/**
 * Broker options of the throughput benchmarks: the dev broker runs the client compiler only (C1,
 * cheaper for the seconds a test or the example lives); a benchmark that pushes tens of thousands
 * of messages through it wants the optimising compiler too, as a real broker has, and figures
 * comparable with the earlier ones in BENCHMARKS.md.
 */
export const BENCH_BROKER = { jvmArgs: ['-XX:TieredStopAtLevel=4'] };
