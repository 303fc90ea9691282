// Types for progress.mjs.

export interface ProgressOptions {
  /** Where it draws (default process.stderr). */
  readonly stream?: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Draw the progress line (default: whether `stream` is a terminal). */
  readonly tty?: boolean;
  /** Redraw interval (default 100 ms). */
  readonly intervalMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

export interface ProgressStep {
  /** Changes what the progress line says of this step. */
  rename(label: string): void;
  /** Milliseconds since the step began. */
  elapsed(): number;
  /** Ends the step; `text`, when given, stays as a line (with a check mark on a terminal). */
  done(text?: string): void;
  /** Ends the step without a line (its error is reported elsewhere). */
  fail(): void;
}

export interface Progress {
  /** Whether a progress line is drawn. */
  readonly tty: boolean;
  /** Writes a line that stays (above the progress line on a terminal). */
  line(text: string): void;
  /** Begins a step shown on the progress line with its elapsed time until it ends. */
  step(label: string): ProgressStep;
  /** Ends every step and clears the progress line. */
  stop(): void;
}

export function createProgress(options?: ProgressOptions): Progress;
