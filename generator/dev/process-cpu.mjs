// CPU time of the processes of a local run (the example's service, broker, database and driver),
// read from /proc, so that a run can say where its CPU went per unit of work without a profiler.
// Linux only: elsewhere every reading is undefined and callers print nothing.
import { readFileSync, readdirSync } from 'node:fs';

// /proc/<pid>/stat counts clock ticks of USER_HZ, which is 100 on every Linux architecture Node
// supports (the kernel converts before it reports; `getconf CLK_TCK` says the same).
const TICKS_PER_SECOND = 100;

/** Fields of /proc/<pid>/stat after the command (which may hold spaces and parentheses). */
function statFields(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Field n of stat(5), counting from 1 as the manual does (3 is the state, 4 the parent). */
const field = (fields, n) => Number(fields[n - 3]);

/**
 * CPU seconds (user + system, all threads) of process `pid`; with `children`, also those of its
 * live children and of the children it has reaped (PostgreSQL's backends under the postmaster).
 * Undefined when the process is gone or /proc is not there.
 */
export function processCpuSeconds(pid, { children = false } = {}) {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const own = statFields(pid);
  if (own === undefined) return undefined;
  let ticks = field(own, 14) + field(own, 15);
  if (children) {
    ticks += field(own, 16) + field(own, 17);
    let entries = [];
    try {
      entries = readdirSync('/proc');
    } catch {
      return undefined;
    }
    for (const name of entries) {
      if (!/^[0-9]+$/.test(name)) continue;
      const f = statFields(name);
      if (f !== undefined && field(f, 4) === pid) ticks += field(f, 14) + field(f, 15);
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * Seconds thread `tid` of process `pid` has run on a core, and has waited runnable for one (the
 * scheduler's run queue), from schedstat: nanoseconds, so short intervals read exactly. A
 * process's CPU from stat adds up all its threads; for Node, V8's compiler and GC threads run
 * beside the one that runs JavaScript, so only the main thread's share says whether the
 * JavaScript is the limit. Undefined when the thread is gone or the kernel keeps no schedstat.
 */
export function threadSchedSeconds(pid, tid = pid) {
  if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(tid) || tid <= 0) return undefined;
  let text;
  try {
    text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
  } catch {
    return undefined;
  }
  const [run, wait] = text.trim().split(' ').map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(wait)) return undefined;
  return { run: run / 1e9, wait: wait / 1e9 };
}

/** The postmaster's pid from its data directory, or undefined. */
export function postmasterPid(dataDir) {
  try {
    const pid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a measurement over named processes: `{ service: { pid, mainThread: true }, database: {
 * pid, children: true } }` (and `self: true` for this process). Its `stop()` returns CPU seconds
 * per name over the interval and, for those with `mainThread`, the seconds their main thread ran
 * and waited for a core (`mainThread[name] = { run, wait }`), leaving out any that could not be
 * read at both ends.
 */
export function startCpuMeasurement(processes) {
  const entries = Object.entries(processes);
  const read = () =>
    Object.fromEntries(
      entries.map(([name, p]) => {
        if (p.self) {
          const u = process.cpuUsage();
          return [name, (u.user + u.system) / 1e6];
        }
        return [name, processCpuSeconds(p.pid, { children: p.children === true })];
      }),
    );
  const readMain = () =>
    Object.fromEntries(entries.filter(([, p]) => p.mainThread === true).map(([name, p]) => [name, threadSchedSeconds(p.self ? process.pid : p.pid)]));
  const before = read();
  const mainBefore = readMain();
  const startedAt = Date.now();
  return {
    stop() {
      const after = read();
      const mainAfter = readMain();
      const seconds = {};
      for (const [name, value] of Object.entries(after)) {
        const b = before[name];
        if (value !== undefined && b !== undefined) seconds[name] = value - b;
      }
      const mainThread = {};
      for (const [name, value] of Object.entries(mainAfter)) {
        const b = mainBefore[name];
        if (value !== undefined && b !== undefined) mainThread[name] = { run: value.run - b.run, wait: value.wait - b.wait };
      }
      return { seconds, mainThread, wallSeconds: (Date.now() - startedAt) / 1000 };
    },
  };
}
