// One node of a throwaway KRaft cluster (kafka-cluster.mjs): a combined broker+controller JVM of
// its own, so that a test can crash (SIGKILL) and restart a single node while the others run.
// It owns its config, data and logs under one directory; the cluster decides ports and ids.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { readTail, runCollect, sleep, spawnWatchedJvm, tail } from './jvm-process.mjs';
import { log4jProperties, serverProperties } from './kafka.mjs';

const { Kafka, logLevel } = kafkajs;

/**
 * @param {{ id: number, dir: string, port: number, controllerPort: number, properties: Record<string, string>,
 *   java: string, classpath: string, heap?: string, jvmArgs?: readonly string[], numPartitions: number,
 *   readyTimeoutMs: number, stopTimeoutMs: number }} spec
 */
export function kafkaNode(spec) {
  const dataDir = path.join(spec.dir, 'data');
  const metadataDir = path.join(spec.dir, 'metadata');
  const logsDir = path.join(spec.dir, 'logs');
  const configFile = path.join(spec.dir, 'server.properties');
  const log4jFile = path.join(spec.dir, 'log4j.properties');
  const serverLog = path.join(logsDir, 'server.log');
  const consoleLog = path.join(logsDir, 'console.log');
  mkdirSync(logsDir, { recursive: true });
  writeFileSync(log4jFile, log4jProperties(serverLog));
  writeFileSync(
    configFile,
    serverProperties({ port: spec.port, controllerPort: spec.controllerPort, dataDir, metadataDir, numPartitions: spec.numPartitions, extra: spec.properties }),
  );
  const commonJvm = ['-Djava.awt.headless=true', `-Dlog4j.configuration=file:${log4jFile}`, `-Dkafka.logs.dir=${logsDir}`];
  const address = `127.0.0.1:${spec.port}`;

  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  /** @type {Promise<void>} */
  let exited = Promise.resolve();
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const explain = (what) => {
    const out = readTail(consoleLog, 20);
    const srv = readTail(serverLog, 40);
    return `${what}${out ? `\n--- ${consoleLog} ---\n${out}` : ''}${srv ? `\n--- ${serverLog} ---\n${srv}` : ''}`;
  };

  /** `kafka-storage format` with the cluster's id: every node of one cluster must share it. */
  const format = async (clusterId) => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(metadataDir, { recursive: true, force: true });
    const args = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', ...commonJvm, '-cp', spec.classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', configFile];
    const run = await runCollect(spec.java, args);
    if (run.code !== 0) throw new Error(`eventsmith: kafka-storage format of node ${spec.id} failed (exit ${run.code}):\n${tail(run.output)}`);
  };

  const spawnJvm = () => {
    const args = [
      `-Xmx${spec.heap ?? '384m'}`,
      '-Xms64m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      ...commonJvm,
      ...(spec.jvmArgs ?? []),
      '-cp',
      spec.classpath,
      'kafka.Kafka',
      configFile,
    ];
    const jvm = spawnWatchedJvm(spec.java, args, { logFile: consoleLog, name: `eventsmith-kafka-node-${spec.id}` });
    child = jvm.proc;
    exited = jvm.exited;
    return jvm.proc;
  };

  /**
   * Until this node serves requests as a registered, unfenced broker: its own Metadata answer
   * lists it. Needs a controller quorum, so nodes that return together must be resumed together.
   */
  const waitReady = async (proc) => {
    const deadline = Date.now() + spec.readyTimeoutMs;
    const kafka = new Kafka({ clientId: `eventsmith-node-probe-${spec.id}`, brokers: [address], logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 5000, retry: { retries: 0 } });
    let lastError;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(explain(`eventsmith: Kafka node ${spec.id} exited during startup (code ${proc.exitCode}, signal ${proc.signalCode})`));
      }
      const admin = kafka.admin({ retry: { retries: 0 } });
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.some((b) => b.nodeId === spec.id)) return;
        lastError = new Error(`node ${spec.id} not yet registered`);
      } catch (err) {
        lastError = err;
      } finally {
        await admin.disconnect().catch(() => {});
      }
      await sleep(150);
    }
    throw new Error(explain(`eventsmith: Kafka node ${spec.id} on ${address} was not ready within ${spec.readyTimeoutMs} ms (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`));
  };

  const halt = async (options = {}) => {
    const proc = child;
    if (!proc || !running()) return;
    proc.kill(options.signal ?? 'SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? spec.stopTimeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    id: spec.id,
    address,
    port: spec.port,
    controllerPort: spec.controllerPort,
    logFile: serverLog,
    get pid() {
      return running() ? child?.pid : undefined;
    },
    get running() {
      return running();
    },
    format,
    /** Starts the JVM (again, on the same ports and data); does not wait for it. */
    spawn: () => (running() ? /** @type {import('node:child_process').ChildProcess} */ (child) : spawnJvm()),
    waitReady,
    halt,
    async resume() {
      if (running()) return;
      const proc = spawnJvm();
      try {
        await waitReady(proc);
      } catch (err) {
        proc.kill('SIGKILL');
        throw err;
      }
    },
    killSync() {
      if (running()) {
        try {
          child?.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
