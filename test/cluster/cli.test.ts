// `node generator/dev/kafka.mjs --nodes 3 run -- CMD`: CMD sees a 3-node cluster whose new topics
// are replicated on every node with min.insync.replicas=2; afterwards no node is left running.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..', '..');
const script = path.join(root, 'generator', 'dev', 'kafka.mjs');
const run = promisify(execFile);

// Runs inside the cluster's `run`: what a user's command would see (with the built runtime, as
// test/cluster/global-setup.ts leaves it).
const probe = `
import kafkajs from 'kafkajs';
import { execFileSync } from 'node:child_process';
import { ensureTopics } from '${pathToFileURL(path.join(root, 'dist', 'generator', 'runtime', 'index.js')).href}';
// The nodes' JVMs are this command's siblings: children of kafka.mjs.
const jvms = execFileSync('ps', ['-eo', 'pid=,ppid=,args=']).toString().split('\\n').map((l) => l.trim().split(/\\s+/))
  .filter(([, ppid, ...args]) => Number(ppid) === process.ppid && args.includes('kafka.Kafka')).map(([pid]) => Number(pid));
const kafka = new kafkajs.Kafka({ clientId: 'cli-probe', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
await ensureTopics(kafka, [{ topic: 'probe', numPartitions: 2 }]);
await admin.connect();
const cluster = await admin.describeCluster();
// The broker asked may not know the new topic yet (its metadata lags the controller's a little).
let meta;
for (let attempt = 1; !meta; attempt++) {
  meta = await admin.fetchTopicMetadata({ topics: ['probe'] })
    .catch((err) => { if (attempt >= 50) throw err; return new Promise((r) => setTimeout(r, 200)); });
}
let configs;
for (let attempt = 1; !configs; attempt++) {
  configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'probe', configNames: ['min.insync.replicas'] }] })
    .catch((err) => { if (attempt >= 50) throw err; return new Promise((r) => setTimeout(r, 200)); });
}
await admin.disconnect();
process.stdout.write(JSON.stringify({
  bootstrap: process.env.KAFKA_BROKERS.split(',').length,
  brokers: cluster.brokers.map((b) => b.nodeId).sort(),
  replicas: meta.topics[0].partitions.map((p) => p.replicas.length),
  jvms,
  minIsr: configs.resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue,
}) + '\\n');
`;

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.KAFKA_BROKERS;
  return e;
}

describe('kafka.mjs --nodes', () => {
  it('--nodes 3 run -- CMD: three brokers, topics replicated three times with min.insync.replicas=2', async () => {
    const { stdout, stderr } = await run(process.execPath, [script, '--nodes', '3', 'run', '--', process.execPath, '--input-type=module', '-e', probe], { cwd: root, env: env(), timeout: 240_000 });
    const line = stdout.trim().split('\n').pop() ?? '';
    const seen = JSON.parse(line) as { jvms: number[] };
    expect(seen, stderr).toEqual({ bootstrap: 3, brokers: [1, 2, 3], replicas: [3, 3], minIsr: '2', jvms: [expect.any(Number), expect.any(Number), expect.any(Number)] });
    // One JVM per node, and none survives `run`.
    const alive = seen.jvms.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  }, 300_000);

  it('--nodes without a positive whole number is a usage error', async () => {
    const err = await run(process.execPath, [script, '--nodes', '0', 'start'], { cwd: root, env: env() }).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain("--nodes needs a positive whole number, not '0'");
  });
});
