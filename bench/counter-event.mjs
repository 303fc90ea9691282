// The event the Kafka benchmarks send and consume: test/kafka/support.ts's Incremented v2, which
// the consumer child process (test/kafka/fixtures/child.mjs) decodes too. Uses the built runtime.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { createCodec, makeEnvelope } = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href);

export const TYPE = 'com.example.counters.counter.incremented';
export const SOURCE = 'urn:example:counter-service';
export const codec = createCodec({
  type: 'record',
  name: 'Incremented',
  namespace: 'com.example.counters',
  fields: [
    { name: 'seq', type: 'int' },
    { name: 'by', type: 'long' },
    { name: 'note', type: 'string', default: '' },
  ],
});
export const decoding = { codec: (type, version) => (type === TYPE && version === 2 ? codec : undefined), upcast: (_type, _version, data) => data, latestVersion: () => 2 };

/** An envelope and its Avro data, as a generated producer makes them. */
export function incremented(aggregateId, seq) {
  const data = { seq, by: BigInt(seq) * 10n, note: `note ${seq}` };
  const event = makeEnvelope({ type: TYPE, dataversion: 2, source: SOURCE, subject: aggregateId, data }, { correlationid: `corr-${aggregateId}` });
  return { event, data: codec.toBinary(data) };
}
