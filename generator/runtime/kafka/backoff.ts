/** Exponential backoff with jitter, and sleeps that end early on shutdown. */

export interface BackoffOptions {
  /** Delay after the first failure (default 100 ms). */
  readonly initialMs?: number;
  /** Upper bound of any delay (default 10 s). */
  readonly maxMs?: number;
  /** Growth per failure (default 2). */
  readonly multiplier?: number;
  /**
   * Share of each delay that is random, 0..1 (default 0.5: "equal jitter", half fixed and half
   * random, so that consumers failing together do not retry in lockstep yet never retry at once).
   */
  readonly jitter?: number;
  /** Source of randomness in [0, 1) (tests fix it). */
  readonly random?: () => number;
}

/** The delay before retry number `failures` (1 after the first failure). */
export function backoffDelay(failures: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 10_000;
  const multiplier = options.multiplier ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const base = Math.min(max, initial * multiplier ** Math.max(0, failures - 1));
  const random = (options.random ?? Math.random)();
  return Math.round(base * (1 - jitter) + base * jitter * random);
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export { errorMessage } from '../logger.js';
