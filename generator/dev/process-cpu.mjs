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
 * Starts a measurement over named processes: `{ service: { pid }, database: { pid, children: true } }`
 * (and `self: true` for this process). Its `stop()` returns CPU seconds per name over the interval,
 * leaving out any that could not be read at both ends.
 */
export function startCpuMeasurement(processes) {
  const read = () =>
    Object.fromEntries(
      Object.entries(processes).map(([name, p]) => {
        if (p.self) {
          const u = process.cpuUsage();
          return [name, (u.user + u.system) / 1e6];
        }
        return [name, processCpuSeconds(p.pid, { children: p.children === true })];
      }),
    );
  const before = read();
  const startedAt = Date.now();
  return {
    stop() {
      const after = read();
      const seconds = {};
      for (const [name, value] of Object.entries(after)) {
        const b = before[name];
        if (value !== undefined && b !== undefined) seconds[name] = value - b;
      }
      return { seconds, wallSeconds: (Date.now() - startedAt) / 1000 };
    },
  };
}
