// Types for process-cpu.mjs.

/** CPU seconds (user + system, all threads) of `pid`, with its children when asked; undefined when unreadable. */
export function processCpuSeconds(pid: number | undefined, options?: { readonly children?: boolean }): number | undefined;

/** The postmaster's pid from its data directory, or undefined. */
export function postmasterPid(dataDir: string): number | undefined;

export type MeasuredProcess = { readonly pid: number | undefined; readonly children?: boolean } | { readonly self: true };

export interface CpuMeasurement {
  /** CPU seconds per name over the interval (names that could not be read at both ends are left out), and its wall time. */
  stop(): { readonly seconds: Readonly<Record<string, number>>; readonly wallSeconds: number };
}

/** Starts measuring the CPU of the named processes. */
export function startCpuMeasurement(processes: Readonly<Record<string, MeasuredProcess>>): CpuMeasurement;
