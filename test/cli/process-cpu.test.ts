import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { postmasterPid, processCpuSeconds, startCpuMeasurement, threadSchedSeconds } from '../../generator/dev/process-cpu.mjs';

/**
 * Spends `ms` of this thread's CPU, however long that takes on a shared machine: a wall-clock loop
 * gets less CPU than its length when other processes run (0.094 s of a 200 ms loop, once).
 */
const burn = (ms: number): void => {
  const start = process.cpuUsage();
  for (;;) {
    for (let i = 0; i < 10_000; i++) Math.sqrt(Math.random());
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
};
/** The same in a child's `node -e` script. */
const burnScript = (ms: number): string =>
  `const s = process.cpuUsage(); for (;;) { for (let i = 0; i < 10000; i++) Math.sqrt(Math.random()); const u = process.cpuUsage(s); if ((u.user + u.system) / 1000 >= ${ms}) break; }`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// /proc is Linux's; elsewhere every reading is undefined.
describe.runIf(process.platform === 'linux')('process CPU from /proc', () => {
  it('counts this process’s CPU as it is spent', () => {
    const before = processCpuSeconds(process.pid);
    burn(300);
    const after = processCpuSeconds(process.pid);
    expect(before).toBeGreaterThan(0);
    // /proc counts in 10 ms ticks.
    expect((after ?? 0) - (before ?? 0)).toBeGreaterThanOrEqual(0.28);
  });

  it('adds the CPU of live and reaped children when asked', async () => {
    const script = burnScript(400);
    const withChildren = () => processCpuSeconds(process.pid, { children: true }) ?? 0;
    const alone = () => processCpuSeconds(process.pid) ?? 0;
    const gap0 = withChildren() - alone();
    // A live child: its own stat, found through its parent field.
    const live = spawn(process.execPath, ['-e', `${script} setTimeout(() => {}, 10_000);`], { stdio: 'ignore' });
    try {
      let gapLive = 0;
      for (let i = 0; i < 50 && gapLive - gap0 < 0.2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        gapLive = withChildren() - alone();
        expect(processCpuSeconds(live.pid as number)).toBeDefined();
      }
      expect(gapLive - gap0).toBeGreaterThanOrEqual(0.2);
    } finally {
      live.kill('SIGKILL');
      await new Promise((r) => live.once('exit', r));
    }
    // A reaped child: in the parent's cutime + cstime.
    const measured = startCpuMeasurement({ all: { pid: process.pid, children: true } });
    const done = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    await new Promise((r) => done.once('exit', r));
    expect(measured.stop().seconds.all).toBeGreaterThanOrEqual(0.2);
  });

  it('measures named processes over an interval and leaves out those it cannot read', () => {
    const m = startCpuMeasurement({ self: { self: true }, me: { pid: process.pid }, gone: { pid: 2 ** 30 }, unknown: { pid: undefined } });
    burn(200);
    const { seconds, wallSeconds } = m.stop();
    expect(Object.keys(seconds).sort()).toEqual(['me', 'self']);
    expect(seconds.self).toBeGreaterThanOrEqual(0.18);
    expect(seconds.me).toBeGreaterThanOrEqual(0.18);
    // Less than the CPU if a GC thread ran beside the loop.
    expect(wallSeconds).toBeGreaterThanOrEqual(0.15);
  });
});

/** A `node -e` child pinned to core `cpu` that runs `script` and waits to be killed; `printed` once it prints `line`. */
const pinned = (cpu: string, script: string, line: string) => {
  const child = spawn('taskset', ['-c', cpu, process.execPath, '-e', `${script} setTimeout(() => {}, 60_000);`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const printed = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes(line) && resolve()));
  return { child, printed };
};

const hasTaskset = process.platform === 'linux' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

describe.runIf(process.platform === 'linux')('the main thread, from schedstat', () => {
  it('counts the time this thread runs', () => {
    const before = threadSchedSeconds(process.pid);
    burn(300);
    const after = threadSchedSeconds(process.pid);
    expect(before).toBeDefined();
    // burn() counts the process's CPU, which other threads (GC) may add to.
    expect((after?.run ?? 0) - (before?.run ?? 0)).toBeGreaterThanOrEqual(0.25);
  });

  it('leaves out the other threads, which the process’s CPU counts', async () => {
    const m = startCpuMeasurement({ me: { pid: process.pid, mainThread: true }, self: { self: true, mainThread: true } });
    // 300 ms on a worker thread (it exits: its time stays in the process's, not in any thread's), 100 on this one.
    const worker = new Worker(burnScript(300), { eval: true });
    await new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
    burn(100);
    const { seconds, mainThread } = m.stop();
    expect(mainThread.me?.run).toBeGreaterThanOrEqual(0.099);
    expect(mainThread.self?.run).toBeGreaterThanOrEqual(0.099);
    // The worker's 300 ms are the process's, not the main thread's (/proc's stat counts 10 ms ticks).
    expect((seconds.me ?? 0) - (mainThread.me?.run ?? 0)).toBeGreaterThanOrEqual(0.25);
    expect(mainThread.me?.wait).toBeGreaterThanOrEqual(0);
  });

  // taskset (util-linux) pins both children to one core; without it the wait cannot be forced.
  it.runIf(hasTaskset)('counts the time a thread waits for a core another process holds', async () => {
    const hog = pinned('0', "console.log('hogging'); for (const end = Date.now() + 20_000; Date.now() < end; );", 'hogging');
    await hog.printed;
    const measured = pinned('0', `${burnScript(300)} console.log('spent');`, 'spent');
    try {
      const pid = measured.child.pid as number;
      await measured.printed;
      const t = threadSchedSeconds(pid);
      expect(t?.run).toBeGreaterThanOrEqual(0.25);
      // Sharing one core with the hog, it waited for about as long as it ran.
      expect(t?.wait).toBeGreaterThanOrEqual(0.1);
    } finally {
      for (const c of [hog.child, measured.child]) c.kill('SIGKILL');
    }
  }, 30_000);

  it('reads as undefined where there is no such thread', () => {
    expect(threadSchedSeconds(2 ** 30)).toBeUndefined();
    expect(threadSchedSeconds(process.pid, 2 ** 30)).toBeUndefined();
    expect(threadSchedSeconds(-1)).toBeUndefined();
  });
});

describe('the postmaster pid', () => {
  it('is the first line of postmaster.pid, or undefined', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-cpu-'));
    dirs.push(dir);
    expect(postmasterPid(dir)).toBeUndefined();
    writeFileSync(path.join(dir, 'postmaster.pid'), '4242\n/var/lib/postgresql/data\n1700000000\n5432\n');
    expect(postmasterPid(dir)).toBe(4242);
    writeFileSync(path.join(dir, 'postmaster.pid'), 'garbage\n');
    expect(postmasterPid(dir)).toBeUndefined();
  });

  it('reads as undefined where there is no such process', () => {
    expect(processCpuSeconds(2 ** 30)).toBeUndefined();
    expect(processCpuSeconds(-1)).toBeUndefined();
  });
});
