#!/usr/bin/env node
// A throwaway single-node Apache Kafka broker (KRaft, combined broker+controller) for tests,
// benchmarks and the example service.
//
// Plain JavaScript on purpose: Node 20 cannot run TypeScript, and this file must also work as
//   node generator/dev/kafka.mjs fetch|start|run -- <command...>
// Types live in kafka.d.mts.
//
// The broker's jars come from Maven Central through `mvn` (no Kafka tarball, no Docker) and are
// cached outside the repository, in ${EVENTSMITH_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/eventsmith}.
// If KAFKA_BROKERS is set, nothing is started and those brokers are used as they are.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  copyFileSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { acquireLock, cacheRoot, copyMavenDependencies, pidAlive, readTail, resolveJava, runCollect, sleep, tail, WATCHDOG } from './jvm-process.mjs';
import { runIfMain, serviceCli } from './service-cli.mjs';
import { startKafkaCluster } from './kafka-cluster.mjs';
import path from 'node:path';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

/** Newest 3.9 patch on Maven Central when this was written. KafkaJS has known trouble with 4.x. */
export const DEFAULT_KAFKA_VERSION = '3.9.2';
const SCALA_VERSION = '2.13';
// Kafka's own distribution ships these as its logging backend; the kafka_2.13 POM only brings slf4j-api.
const LOGGING_DEPENDENCIES = [
  ['org.slf4j', 'slf4j-reload4j', '1.7.36'],
  ['ch.qos.reload4j', 'reload4j', '1.2.25'],
];

function kafkaVersion(options) {
  return options?.version ?? process.env.EVENTSMITH_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
}

function jarPaths(options) {
  const version = kafkaVersion(options);
  if (!/^[0-9][0-9A-Za-z.-]*$/.test(version)) throw new Error(`eventsmith: bad Kafka version '${version}'`);
  const dir = path.join(options.cacheDir ?? cacheRoot(), `kafka-${version}`);
  const libDir = path.join(dir, 'libs');
  return { version, dir, libDir, marker: path.join(dir, 'complete.json'), mainJar: path.join(libDir, `kafka_${SCALA_VERSION}-${version}.jar`) };
}

/**
 * Whether the broker's jars are in the cache (then no mvn is needed).
 * @param {import('./kafka.d.mts').FetchOptions} [options]
 */
export function kafkaJarsCached(options = {}) {
  const { marker, mainJar } = jarPaths(options);
  return existsSync(marker) && existsSync(mainJar);
}

/**
 * Makes sure the jars of org.apache.kafka:kafka_2.13:<version> and all its runtime dependencies
 * are in one folder of the cache; downloads them with `mvn` the first time.
 * @param {import('./kafka.d.mts').FetchOptions} [options]
 * @returns {Promise<import('./kafka.d.mts').KafkaJars>}
 */
export async function ensureKafkaJars(options = {}) {
  const { version, dir, libDir, marker, mainJar } = jarPaths(options);
  const result = (downloaded, millis) => ({ version, dir, libDir, classpath: path.join(libDir, '*'), downloaded, millis });
  const complete = () => existsSync(marker) && existsSync(mainJar);
  if (complete()) return result(false, 0);

  const startedAt = Date.now();
  mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, '.lock');
  const locked = await acquireLock(lockFile, complete, options.timeoutMs ?? 15 * 60_000, 'fetching Kafka jars');
  if (!locked) return result(false, Date.now() - startedAt);
  try {
    if (complete()) return result(false, Date.now() - startedAt);
    const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    log(`eventsmith: fetching Apache Kafka ${version} jars from Maven Central with mvn into ${libDir} (first run only)`);
    const jars = await copyMavenDependencies({
      dir,
      libDir,
      what: `Kafka ${version} jars`,
      instead: ', or set KAFKA_BROKERS to use a running broker',
      mvn: options.mvn ?? process.env.EVENTSMITH_MVN ?? 'mvn',
      dependencies: [['org.apache.kafka', `kafka_${SCALA_VERSION}`, version], ...LOGGING_DEPENDENCIES],
    });
    if (!existsSync(mainJar)) throw new Error(`eventsmith: fetching Kafka ${version} jars left no ${path.basename(mainJar)} in ${libDir}`);
    writeFileSync(marker, `${JSON.stringify({ version, fetchedAt: new Date().toISOString(), jars }, null, 2)}\n`);
    const millis = Date.now() - startedAt;
    log(`eventsmith: fetched ${jars.length} jars in ${(millis / 1000).toFixed(1)} s`);
    return result(true, millis);
  } finally {
    rmSync(lockFile, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The broker

/** A port nobody listens on right now; startKafka() retries if another process takes it first. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A Kafka Uuid as Kafka prints it: 16 random bytes, base64url without padding, never starting with '-'. */
export function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function serverProperties({ port, controllerPort, dataDir, metadataDir, numPartitions, extra }) {
  const props = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDir,
    'metadata.log.dir': metadataDir,
    'num.partitions': String(numPartitions),
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'auto.create.topics.enable': 'true',
    'delete.topic.enable': 'true',
    'offsets.topic.replication.factor': '1',
    // 50 partitions by default: each one is a directory and a coordinator load on every start.
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '4',
    'group.initial.rebalance.delay.ms': '0',
    // Small and quick: two cores shared with the tests, the database and the relay.
    'num.network.threads': '2',
    'num.io.threads': '4',
    'background.threads': '4',
    'num.recovery.threads.per.data.dir': '1',
    'log.cleaner.threads': '1',
    'log.cleaner.dedupe.buffer.size': String(8 * 1024 * 1024),
    'auto.leader.rebalance.enable': 'false',
    // Smaller segments: fewer bytes of preallocated index files per partition, quicker recovery.
    'log.segment.bytes': String(64 * 1024 * 1024),
    'log.index.size.max.bytes': String(1024 * 1024),
    'log.retention.hours': '24',
    // After a crash (SIGKILL) the controller refuses the restarted broker's new registration until
    // the old session expires (9 s by default): keep the ratio, shorten the wait.
    'broker.session.timeout.ms': '4000',
    'broker.heartbeat.interval.ms': '1000',
    ...extra,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
    .join('\n')}\n`;
}

export function log4jProperties(logFile) {
  return `# Written by eventsmith generator/dev/kafka.mjs: everything to one file, nothing on the console.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${logFile.replace(/\\/g, '\\\\')}
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
log4j.logger.kafka.log=WARN
`;
}

/**
 * A short hash naming the Java runtime (its real path, size and mtime): an AppCDS archive only fits
 * the JVM build that wrote it.
 */
function javaIdentity(java) {
  let file = java;
  if (!java.includes(path.sep)) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (dir && existsSync(path.join(dir, java))) {
        file = path.join(dir, java);
        break;
      }
    }
  }
  try {
    const real = realpathSync(file);
    const st = statSync(real);
    return createHash('sha1').update(`${real}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 12);
  } catch {
    return undefined;
  }
}

function cdsEnabled(options) {
  if (options.cds !== undefined) return options.cds;
  const env = process.env.EVENTSMITH_KAFKA_CDS;
  return !(env === '0' || env === 'false' || env === 'off');
}

export function parseBrokers(value) {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Starts a single-node KRaft broker on 127.0.0.1 (or adopts KAFKA_BROKERS).
 * @param {import('./kafka.d.mts').StartKafkaOptions} [options]
 * @returns {Promise<import('./kafka.d.mts').KafkaBroker>}
 */
export async function startKafka(options = {}) {
  const envBrokers = options.ignoreKafkaBrokers ? undefined : process.env.KAFKA_BROKERS;
  if (envBrokers && parseBrokers(envBrokers).length > 0) {
    const unsupported = async () => {
      throw new Error('eventsmith: the broker comes from KAFKA_BROKERS; it cannot be halted or restarted from here');
    };
    return {
      brokers: parseBrokers(envBrokers),
      external: true,
      port: undefined,
      controllerPort: undefined,
      baseDir: undefined,
      logFile: undefined,
      pid: undefined,
      version: undefined,
      startMillis: 0,
      fetchMillis: 0,
      stop: async () => {},
      halt: unsupported,
      resume: unsupported,
      restart: unsupported,
    };
  }

  const startedAt = Date.now();
  const jars = await ensureKafkaJars({ version: options.version, log: options.log });
  const java = resolveJava(options);
  const baseDir = mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'eventsmith-kafka-'));
  const dataDir = path.join(baseDir, 'data');
  const metadataDir = path.join(baseDir, 'metadata');
  const logsDir = path.join(baseDir, 'logs');
  const configFile = path.join(baseDir, 'server.properties');
  const log4jFile = path.join(baseDir, 'log4j.properties');
  const serverLog = path.join(logsDir, 'server.log');
  const consoleLog = path.join(logsDir, 'console.log');
  mkdirSync(logsDir, { recursive: true });
  writeFileSync(log4jFile, log4jProperties(serverLog));
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 20_000;
  // AppCDS: the first broker that stops cleanly dumps the classes it loaded into an archive in the
  // cache; later JVMs map it and start about 1.5 s sooner with ~30 MB less RSS. A JVM that cannot
  // use the archive (other Java build, changed jars) ignores it with a warning; we then delete it.
  const javaId = cdsEnabled(options) ? javaIdentity(java) : undefined;
  const cdsArchive = javaId ? path.join(jars.dir, 'cds', `broker-${javaId}.jsa`) : undefined;
  const cdsDump = path.join(baseDir, 'broker.jsa');
  const commonJvm = [
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jFile}`,
    `-Dkafka.logs.dir=${logsDir}`,
  ];

  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  /** @type {Promise<void> | undefined} */
  let exited;
  let port = 0;
  let controllerPort = 0;
  let removed = false;

  const killSync = () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const cleanupSync = () => {
    killSync();
    if (!removed && !options.keepDirs) rmSync(baseDir, { recursive: true, force: true });
    removed = true;
  };
  // Tests that crash must not leave brokers behind.
  const onExit = () => cleanupSync();
  if (options.stopOnExit !== false) process.on('exit', onExit);

  const explain = (what) => {
    const out = readTail(consoleLog, 20);
    const srv = readTail(serverLog, 40);
    return `${what}${out ? `\n--- ${consoleLog} ---\n${out}` : ''}${srv ? `\n--- ${serverLog} ---\n${srv}` : ''}`;
  };

  const format = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(metadataDir, { recursive: true, force: true });
    const args = [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      ...commonJvm,
      '-cp',
      jars.classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      options.clusterId ?? randomClusterId(),
      '-c',
      configFile,
    ];
    let run;
    try {
      run = await runCollect(java, args);
    } catch (err) {
      const e = /** @type {NodeJS.ErrnoException} */ (err);
      throw new Error(
        e.code === 'ENOENT'
          ? `eventsmith: '${java}' not found. A Java 17+ runtime is needed to run the Kafka broker (set JAVA_HOME), or set KAFKA_BROKERS.`
          : `eventsmith: could not run ${java}: ${e.message}`,
      );
    }
    if (run.code !== 0) throw new Error(`eventsmith: kafka-storage format failed (exit ${run.code}):\n${tail(run.output)}`);
  };

  /** -XX flags for AppCDS, and whether this run dumps an archive when it exits. */
  const cdsArgs = () => {
    if (!cdsArchive) return { args: [], dumping: false };
    if (existsSync(cdsArchive)) return { args: [`-XX:SharedArchiveFile=${cdsArchive}`], dumping: false };
    return { args: [`-XX:ArchiveClassesAtExit=${cdsDump}`], dumping: true };
  };
  /** Publishes an archive dumped at exit (atomically: several brokers may race). */
  const publishCdsDump = () => {
    if (!cdsArchive || !existsSync(cdsDump)) return;
    try {
      if (statSync(cdsDump).size > 0 && !existsSync(cdsArchive)) {
        mkdirSync(path.dirname(cdsArchive), { recursive: true });
        const tmp = `${cdsArchive}.${process.pid}.tmp`;
        copyFileSync(cdsDump, tmp);
        renameSync(tmp, cdsArchive);
      }
    } catch {
      // Only an optimisation.
    } finally {
      rmSync(cdsDump, { force: true });
    }
  };
  /** Drops an archive the JVM refused (it said so on the console), so that the next stop writes a new one. */
  const checkCdsUse = (args) => {
    if (!cdsArchive || !args.some((a) => a.startsWith('-XX:SharedArchiveFile='))) return;
    if (/\[(warning|error)\]\[cds|Unable to use shared archive/i.test(readTail(consoleLog, 200))) {
      rmSync(cdsArchive, { force: true });
    }
  };

  const spawnBroker = () => {
    const out = openSync(consoleLog, 'a');
    const cds = cdsArgs();
    try {
      const args = [
        `-Xmx${options.heap ?? '512m'}`,
        '-Xms64m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-XX:+ExitOnOutOfMemoryError',
        // The client compiler only (C1): a dev broker lives for a test run or the example, seconds
        // to minutes, where C2's compiles cost more CPU than its faster code saves back. Over the
        // example's 300 orders the broker's CPU is 0.63× (bench/broker-jit.mjs, BENCHMARKS.md);
        // the example's throughput does not change. A long benchmark can pass
        // '-XX:TieredStopAtLevel=4' in jvmArgs (the last flag wins).
        '-XX:TieredStopAtLevel=1',
        ...commonJvm,
        ...cds.args,
        ...(options.jvmArgs ?? []),
        '-cp',
        jars.classpath,
        'kafka.Kafka',
        configFile,
      ];
      // Through a watchdog on POSIX: `sh` execs java (same pid, signals go straight to it) after
      // forking a reader of our pipe; when this process dies in any way, even SIGKILL or an
      // unhandled SIGTERM that skips 'exit' hooks, the pipe closes and the reader kills the JVM.
      child =
        process.platform === 'win32'
          ? spawn(java, args, { stdio: ['ignore', out, out] })
          : spawn('/bin/sh', ['-c', WATCHDOG, 'eventsmith-kafka', java, ...args], { stdio: ['pipe', out, out] });
    } finally {
      closeSync(out);
    }
    const proc = child;
    proc.stdin?.on('error', () => {});
    exited = new Promise((resolve) => {
      proc.once('exit', () => {
        proc.stdin?.destroy();
        if (cds.dumping) publishCdsDump();
        resolve();
      });
      proc.once('error', () => resolve());
    });
    let spawnError;
    proc.once('error', (err) => (spawnError = err));
    return { proc, spawnError: () => spawnError, checkCds: () => checkCdsUse(cds.args) };
  };

  const brokers = () => [`127.0.0.1:${port}`];

  /** Waits until the broker answers Metadata and a group coordinator exists; throws if it exits first. */
  const waitReady = async (proc, spawnError) => {
    const deadline = Date.now() + readyTimeoutMs;
    const kafka = new Kafka({
      clientId: 'eventsmith-kafka-probe',
      brokers: brokers(),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    });
    let lastError;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null || spawnError()) {
        const e = spawnError();
        if ((e && /** @type {NodeJS.ErrnoException} */ (e).code === 'ENOENT') || proc.exitCode === 127) {
          throw new Error(`eventsmith: '${java}' not found. A Java 17+ runtime is needed to run the Kafka broker (set JAVA_HOME), or set KAFKA_BROKERS.`);
        }
        const err = new Error(explain(`eventsmith: the Kafka broker exited during startup (code ${proc.exitCode}, signal ${proc.signalCode})`));
        /** @type {any} */ (err).bindFailure = /Address already in use|BindException/.test(readTail(serverLog, 200) + readTail(consoleLog, 200));
        throw err;
      }
      const admin = kafka.admin({ retry: { retries: 0 } });
      try {
        await admin.connect();
        // Also loads the metadata a new admin needs before anything else (retries are off).
        await admin.listTopics();
        // Creates __consumer_offsets now rather than on the first consumer's JoinGroup, which would
        // otherwise see GROUP_COORDINATOR_NOT_AVAILABLE for a while.
        if (options.waitForCoordinator !== false) await admin.describeGroups(['eventsmith-readiness-probe']);
        return;
      } catch (err) {
        lastError = err;
        if (process.env.EVENTSMITH_KAFKA_DEBUG) process.stderr.write(`probe: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
      } finally {
        await admin.disconnect().catch(() => {});
      }
      await sleep(150);
    }
    throw new Error(
      explain(`eventsmith: the Kafka broker on ${brokers()[0]} was not ready within ${readyTimeoutMs} ms (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`),
    );
  };

  const halt = async (haltOptions = {}) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const signal = haltOptions.signal ?? 'SIGTERM';
    proc.kill(signal);
    const timeoutMs = haltOptions.timeoutMs ?? stopTimeoutMs;
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const resume = async () => {
    if (removed) throw new Error('eventsmith: this Kafka broker was stopped; start a new one');
    if (child && child.exitCode === null && child.signalCode === null) return;
    const { proc, spawnError, checkCds } = spawnBroker();
    try {
      await waitReady(proc, spawnError);
    } catch (err) {
      killSync();
      throw err;
    }
    checkCds();
  };

  try {
    const attempts = options.controllerPort || options.port ? 1 : 5;
    for (let attempt = 1; ; attempt++) {
      port = options.port ?? (await freePort());
      controllerPort = options.controllerPort ?? (await freePort());
      if (controllerPort === port) {
        if (options.port && options.controllerPort) throw new Error('eventsmith: port and controllerPort must differ');
        continue;
      }
      writeFileSync(
        configFile,
        serverProperties({
          port,
          controllerPort,
          dataDir,
          metadataDir,
          numPartitions: options.numPartitions ?? 3,
          extra: options.properties ?? {},
        }),
      );
      await format();
      const { proc, spawnError, checkCds } = spawnBroker();
      try {
        await waitReady(proc, spawnError);
        checkCds();
        break;
      } catch (err) {
        killSync();
        await exited;
        // Only a lost race for a port is worth another try.
        if (!(/** @type {any} */ (err).bindFailure) || attempt >= attempts) throw err;
        rmSync(serverLog, { force: true });
        rmSync(consoleLog, { force: true });
      }
    }
  } catch (err) {
    process.removeListener('exit', onExit);
    if (!options.keepDirs) rmSync(baseDir, { recursive: true, force: true });
    removed = true;
    throw err;
  }
  const startMillis = Date.now() - startedAt;

  /** @type {Promise<void> | undefined} */
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      try {
        await halt();
      } finally {
        process.removeListener('exit', onExit);
        cleanupSync();
      }
    })();
    return stopping;
  };

  return {
    brokers: brokers(),
    external: false,
    port,
    controllerPort,
    baseDir,
    logFile: serverLog,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    version: jars.version,
    startMillis,
    fetchMillis: jars.millis,
    stop,
    halt,
    resume,
    restart: async (restartOptions = {}) => {
      await halt(restartOptions);
      await resume();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: node generator/dev/kafka.mjs <command>
  fetch            download the broker's jars with mvn into the cache (once) and print where they are
  start            start a throwaway single-node KRaft broker, print KAFKA_BROKERS=..., and keep it
                   running until SIGINT/SIGTERM; then stop it and delete its data
  run -- CMD ARGS  start a broker, run CMD with KAFKA_BROKERS set, stop; exit with CMD's status
  --nodes N        (before start/run) a cluster of N broker+controller nodes instead of one broker:
                   replication factor min(3, N), min.insync.replicas one less
KAFKA_BROKERS, if set, is used instead of starting a broker. EVENTSMITH_KAFKA_VERSION picks another
3.x version (default ${DEFAULT_KAFKA_VERSION}); EVENTSMITH_CACHE_DIR moves the cache (now ${cacheRoot()}).`;

async function main(argv) {
  let nodes = 1;
  if (argv[0] === '--nodes') {
    nodes = Number(argv[1]);
    if (!Number.isInteger(nodes) || nodes < 1) {
      process.stderr.write(`eventsmith: --nodes needs a positive whole number, not '${argv[1] ?? ''}'\n${USAGE}\n`);
      return 2;
    }
    argv = argv.slice(2);
  }
  return serviceCli(argv, {
    usage: USAGE,
    prepare: { command: 'fetch', run: async () => (await ensureKafkaJars()).libDir },
    start: () => (nodes > 1 ? startKafkaCluster({ nodes }) : startKafka()),
    env: (broker) => ({ KAFKA_BROKERS: broker.brokers.join(',') }),
    readyLine: (broker) =>
      broker.nodes
        ? `eventsmith: Kafka ${broker.version} cluster of ${broker.nodes.length} nodes ready in ${(broker.startMillis / 1000).toFixed(1)} s (pids ${broker.nodes.map((n) => n.pid).join(', ')}, data in ${broker.baseDir}); Ctrl-C stops it`
        : `eventsmith: Kafka ${broker.version} ready in ${(broker.startMillis / 1000).toFixed(1)} s (pid ${broker.pid}, data in ${broker.baseDir}); Ctrl-C stops it`,
  });
}

runIfMain(import.meta.url, main);

export { cacheRoot, resolveJava, startKafkaCluster };
