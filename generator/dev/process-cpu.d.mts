// Types for process-cpu.mjs.

/** CPU seconds (user + system, all threads) of `pid`, with its children when asked; undefined when unreadable. */
export function processCpuSeconds(pid: number | undefined, options?: { readonly children?: boolean }): number | undefined;

/** Seconds a thread has run on a core and has waited runnable for one (schedstat); the main thread when `tid` is left out. */
export function threadSchedSeconds(pid: number | undefined, tid?: number): { readonly run: number; readonly wait: number } | undefined;

/** The postmaster's pid from its data directory, or undefined. */
export function postmasterPid(dataDir: string): number | undefined;

export type MeasuredProcess =
  | { readonly pid: number | undefined; readonly children?: boolean; readonly mainThread?: boolean }
  | { readonly self: true; readonly mainThread?: boolean };

export interface CpuMeasurement {
  /**
   * CPU seconds per name over the interval, the run and run-queue seconds of the main thread of
   * those measured with `mainThread` (names that could not be read at both ends are left out), and
   * its wall time.
   */
  stop(): {
    readonly seconds: Readonly<Record<string, number>>;
    readonly mainThread: Readonly<Record<string, { readonly run: number; readonly wait: number }>>;
    readonly wallSeconds: number;
  };
}

/** Starts measuring the CPU of the named processes. */
export function startCpuMeasurement(processes: Readonly<Record<string, MeasuredProcess>>): CpuMeasurement;
