// A throwaway replicated Kafka cluster for the failover tests: N combined broker+controller KRaft
// nodes on 127.0.0.1 (every node a voter, so 3 nodes survive the loss of one), each a JVM of its
// own (kafka-node.mjs) that can be crashed and restarted alone. Topics default to replication
// factor min(3, N) and min.insync.replicas one less, so an `acks=all` write survives one node.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { resolveJava, sleep } from './jvm-process.mjs';
import { ensureKafkaJars, freePort, parseBrokers, randomClusterId } from './kafka.mjs';
import { kafkaNode } from './kafka-node.mjs';

const { Kafka, logLevel } = kafkajs;

/** `count` distinct free ports. */
async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * @param {import('./kafka.d.mts').StartKafkaClusterOptions} [options]
 * @returns {Promise<import('./kafka.d.mts').KafkaCluster>}
 */
export async function startKafkaCluster(options = {}) {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`eventsmith: a cluster needs a whole number of nodes, not ${count}`);
  const envBrokers = options.ignoreKafkaBrokers ? undefined : process.env.KAFKA_BROKERS;
  if (envBrokers && parseBrokers(envBrokers).length > 0) {
    return { brokers: parseBrokers(envBrokers), external: true, nodes: [], baseDir: undefined, version: undefined, startMillis: 0, fetchMillis: 0, replicationFactor: undefined, stop: async () => {} };
  }

  const startedAt = Date.now();
  const jars = await ensureKafkaJars({ version: options.version, log: options.log });
  const java = resolveJava(options);
  const baseDir = mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'eventsmith-kafka-cluster-'));
  const replicationFactor = Math.min(3, count);
  const minIsr = Math.max(1, replicationFactor - 1);
  const ports = await freePorts(2 * count);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const voters = ids.map((id, i) => `${id}@127.0.0.1:${ports[2 * i + 1]}`).join(',');
  const nodes = ids.map((id, i) => {
    const dir = path.join(baseDir, `node-${id}`);
    mkdirSync(dir, { recursive: true });
    return kafkaNode({
      id,
      dir,
      port: /** @type {number} */ (ports[2 * i]),
      controllerPort: /** @type {number} */ (ports[2 * i + 1]),
      java,
      classpath: jars.classpath,
      heap: options.heap,
      jvmArgs: options.jvmArgs,
      numPartitions: options.numPartitions ?? 3,
      readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
      properties: {
        'node.id': String(id),
        'controller.quorum.voters': voters,
        'default.replication.factor': String(replicationFactor),
        'min.insync.replicas': String(minIsr),
        'offsets.topic.replication.factor': String(replicationFactor),
        'transaction.state.log.replication.factor': String(replicationFactor),
        'transaction.state.log.min.isr': String(minIsr),
        // A crashed node's partitions move to the others within a few seconds.
        'replica.lag.time.max.ms': '10000',
        ...Object.fromEntries(Object.entries(options.properties ?? {}).map(([k, v]) => [k, String(v)])),
      },
    });
  });

  let removed = false;
  const cleanupSync = () => {
    for (const node of nodes) node.killSync();
    if (!removed && !options.keepDirs) rmSync(baseDir, { recursive: true, force: true });
    removed = true;
  };
  const onExit = () => cleanupSync();
  if (options.stopOnExit !== false) process.on('exit', onExit);
  const brokers = nodes.map((n) => n.address);

  try {
    const clusterId = options.clusterId ?? randomClusterId();
    for (const node of nodes) await node.format(clusterId);
    const procs = nodes.map((n) => n.spawn());
    await Promise.all(nodes.map((n, i) => n.waitReady(procs[i])));
    await waitForCoordinator(brokers, options.readyTimeoutMs ?? 120_000);
  } catch (err) {
    process.removeListener('exit', onExit);
    cleanupSync();
    throw err;
  }

  /** @type {Promise<void> | undefined} */
  let stopping;
  return {
    brokers,
    external: false,
    nodes,
    baseDir,
    version: jars.version,
    replicationFactor,
    startMillis: Date.now() - startedAt,
    fetchMillis: jars.millis,
    stop() {
      stopping ??= (async () => {
        try {
          await Promise.all(nodes.map((n) => n.halt()));
        } finally {
          process.removeListener('exit', onExit);
          cleanupSync();
        }
      })();
      return stopping;
    },
  };
}

/** Creates __consumer_offsets now (it needs every replica up), so the first consumer joins at once. */
async function waitForCoordinator(brokers, timeoutMs) {
  const kafka = new Kafka({ clientId: 'eventsmith-cluster-probe', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      // Loads the metadata describeGroups needs (with retries off it would not load it itself).
      await admin.listTopics();
      await admin.describeGroups(['eventsmith-readiness-probe']);
      return;
    } catch (err) {
      if (process.env.EVENTSMITH_KAFKA_DEBUG) process.stderr.write(`coordinator probe: ${err?.stack}\n`);
      if (Date.now() > deadline) throw new Error(`eventsmith: no group coordinator in the Kafka cluster after ${timeoutMs} ms: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await sleep(200);
  }
}
