// generator/dev/progress.mjs: a redrawn line with each running step and its time on a terminal, lines only
// elsewhere (CI logs keep what says something).
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../generator/dev/progress.mjs';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (t: string) => void chunks.push(t) } };
}

describe('progress', () => {
  it('on a terminal: redraws the running steps with their elapsed time; finished steps and lines stay above', () => {
    const { chunks, stream } = sink(true);
    let t = 0;
    const progress = createProgress({ stream, now: () => t, intervalMs: 60_000 });
    expect(progress.tty).toBe(true);
    const jars = progress.step('Kafka: downloading jars');
    t = 1_500;
    const pg = progress.step('PostgreSQL: starting');
    progress.line('eventsmith: fetching Apache Kafka 3.9.2 jars');
    t = 2_000;
    pg.done('PostgreSQL ready');
    jars.rename('Kafka: starting the broker');
    jars.fail();
    progress.stop();
    expect(chunks).toEqual([
      '\r\u001b[2K⠋ Kafka: downloading jars (0.0 s)',
      '\r\u001b[2K⠙ Kafka: downloading jars (1.5 s) · PostgreSQL: starting (0.0 s)',
      '\r\u001b[2K',
      'eventsmith: fetching Apache Kafka 3.9.2 jars\n',
      '\r\u001b[2K⠹ Kafka: downloading jars (1.5 s) · PostgreSQL: starting (0.0 s)',
      '\r\u001b[2K',
      '✓ PostgreSQL ready\n',
      '\r\u001b[2K⠸ Kafka: downloading jars (2.0 s)',
      '\r\u001b[2K⠼ Kafka: starting the broker (2.0 s)',
      '\r\u001b[2K',
    ]);
  });

  it('off a terminal: only the lines that stay, no control characters', () => {
    const { chunks, stream } = sink(false);
    const progress = createProgress({ stream });
    expect(progress.tty).toBe(false);
    const step = progress.step('PostgreSQL: starting');
    progress.line('a note');
    step.done('PostgreSQL ready');
    progress.step('quiet').done();
    progress.stop();
    expect(chunks).toEqual(['a note\n', 'PostgreSQL ready\n']);
  });
});
