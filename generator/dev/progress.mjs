// Progress of long steps (downloading the Kafka broker's jars, starting PostgreSQL and Kafka) on a
// terminal: one line, redrawn in place, naming each step still running and its elapsed time. Off a
// terminal (CI, a pipe) it draws nothing, so logs keep only the lines that say something.
//
// Plain JavaScript, like the scripts beside it: `eventsmith dev` and the example's run script use it.
// Types live in progress.d.mts.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\u001b[2K';

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * @param {import('./progress.d.mts').ProgressOptions} [options]
 * @returns {import('./progress.d.mts').Progress}
 */
export function createProgress(options = {}) {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const now = options.now ?? Date.now;
  /** @type {Set<{ label: string; startedAt: number }>} */
  const running = new Set();
  let frame = 0;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  let drawn = false;

  const clear = () => {
    if (drawn) stream.write(CLEAR_LINE);
    drawn = false;
  };
  const draw = () => {
    if (!tty || running.size === 0) return;
    const steps = [...running].map((s) => `${s.label} (${seconds(now() - s.startedAt)})`).join(' · ');
    stream.write(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${steps}`);
    drawn = true;
  };
  const schedule = () => {
    if (!tty) return;
    if (running.size > 0 && !timer) {
      timer = setInterval(draw, options.intervalMs ?? 100);
      timer.unref();
    } else if (running.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  /** A line above the progress line (on a terminal) or just a line (elsewhere). */
  const line = (text) => {
    clear();
    stream.write(`${text}\n`);
    draw();
  };

  return {
    tty,
    line,
    step(label) {
      const step = { label, startedAt: now() };
      running.add(step);
      schedule();
      draw();
      const end = (text) => {
        if (!running.delete(step)) return;
        schedule();
        if (text !== undefined) line(text);
        else {
          clear();
          draw();
        }
      };
      return {
        rename(newLabel) {
          step.label = newLabel;
          draw();
        },
        elapsed: () => now() - step.startedAt,
        done: (text) => end(text === undefined ? undefined : `${tty ? '✓ ' : ''}${text}`),
        fail: () => end(undefined),
      };
    },
    stop() {
      running.clear();
      schedule();
      clear();
    },
  };
}
