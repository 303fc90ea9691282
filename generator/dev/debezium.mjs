#!/usr/bin/env node
// A throwaway Kafka Connect worker (standalone mode) with Debezium's PostgreSQL connector, for the
// Debezium path of the outbox: tests, benchmarks, and building the OutboxHeaders SMT users deploy.
//
// Plain JavaScript on purpose (like kafka.mjs): it also runs as
//   node generator/dev/debezium.mjs fetch|smt
// Types live in debezium.d.mts.
//
// Connect's runtime of the broker's Kafka line and Debezium come from Maven Central through `mvn`
// into ${EVENTSMITH_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/eventsmith}/debezium-<v>-connect-<v>;
// the SMT (debezium/OutboxHeaders.java) is compiled there with the JDK's javac and jar, once per
// version of its source.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_KAFKA_VERSION, freePort } from './kafka.mjs';
import { acquireLock, cacheRoot, copyMavenDependencies, readTail, resolveJava, runCollect, sleep, spawnWatchedJvm, tail } from './jvm-process.mjs';
import { runIfMain } from './service-cli.mjs';

export const DEFAULT_DEBEZIUM_VERSION = '3.6.1.Final';
const SMT_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'debezium', 'OutboxHeaders.java');
const SMT_CLASS = 'dev.eventsmith.debezium.OutboxHeaders';
/** Small on two shared cores; Connect with one Debezium task stays well below this. */
const JVM_FLAGS = ['-Xmx512m', '-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

function paths(options) {
  const debezium = options.debeziumVersion ?? process.env.EVENTSMITH_DEBEZIUM_VERSION ?? DEFAULT_DEBEZIUM_VERSION;
  const kafka = options.kafkaVersion ?? process.env.EVENTSMITH_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  for (const v of [debezium, kafka]) if (!/^[0-9][0-9A-Za-z.-]*$/.test(v)) throw new Error(`eventsmith: bad version '${v}'`);
  const dir = path.join(options.cacheDir ?? cacheRoot(), `debezium-${debezium}-connect-${kafka}`);
  const libDir = path.join(dir, 'libs');
  const sourceHash = createHash('sha256').update(readFileSync(SMT_SOURCE)).digest('hex').slice(0, 12);
  return {
    debezium,
    kafka,
    dir,
    libDir,
    marker: path.join(dir, 'complete.json'),
    smtJar: path.join(dir, 'smt', `eventsmith-outbox-headers-${sourceHash}.jar`),
  };
}

/**
 * Makes sure Connect, Debezium's PostgreSQL connector and the OutboxHeaders SMT are in the cache;
 * fetches (mvn, ~36 MB) and builds (javac) them the first time.
 * @param {import('./debezium.d.mts').FetchConnectOptions} [options]
 * @returns {Promise<import('./debezium.d.mts').ConnectJars>}
 */
export async function ensureConnectJars(options = {}) {
  const p = paths(options);
  const result = (millis) => ({ dir: p.dir, libDir: p.libDir, smtJar: p.smtJar, classpath: [path.join(p.libDir, '*'), p.smtJar].join(path.delimiter), millis });
  const complete = () => existsSync(p.marker) && existsSync(p.smtJar);
  if (complete()) return result(0);
  const startedAt = Date.now();
  mkdirSync(p.dir, { recursive: true });
  const lockFile = path.join(p.dir, '.lock');
  if (!(await acquireLock(lockFile, complete, options.timeoutMs ?? 15 * 60_000, 'fetching Kafka Connect and Debezium'))) return result(Date.now() - startedAt);
  try {
    const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    if (!existsSync(p.marker)) {
      log(`eventsmith: fetching Kafka Connect ${p.kafka} and Debezium ${p.debezium} jars from Maven Central with mvn into ${p.libDir} (first run only)`);
      const jars = await copyMavenDependencies({
        dir: p.dir,
        libDir: p.libDir,
        what: `Kafka Connect ${p.kafka} and Debezium ${p.debezium}`,
        mvn: options.mvn ?? process.env.EVENTSMITH_MVN ?? 'mvn',
        dependencies: [
          ['org.apache.kafka', 'connect-runtime', p.kafka],
          ['org.apache.kafka', 'connect-json', p.kafka],
          ['org.apache.kafka', 'connect-transforms', p.kafka],
          ['io.debezium', 'debezium-connector-postgres', p.debezium],
          // Kafka's distribution ships these as Connect's logging backend.
          ['org.slf4j', 'slf4j-reload4j', '1.7.36'],
          ['ch.qos.reload4j', 'reload4j', '1.2.25'],
        ],
        // Debezium asks for a newer jsr310 module than Connect's jackson-databind; keep them one version.
        managed: [['com.fasterxml.jackson.datatype', 'jackson-datatype-jsr310', '2.16.2']],
      });
      writeFileSync(p.marker, `${JSON.stringify({ debezium: p.debezium, kafka: p.kafka, fetchedAt: new Date().toISOString(), jars }, null, 2)}\n`);
    }
    if (!existsSync(p.smtJar)) await buildSmt(p, options);
    return result(Date.now() - startedAt);
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/** javac + jar with a ServiceLoader entry, so Connect's `plugin.discovery=service_load` finds it. */
async function buildSmt(p, options) {
  const java = resolveJava(options);
  const bin = (tool) => (java.includes(path.sep) ? path.join(path.dirname(java), tool) : tool);
  const work = mkdtempSync(path.join(p.dir, 'smt-build-'));
  try {
    const classes = path.join(work, 'classes');
    const services = path.join(classes, 'META-INF', 'services');
    mkdirSync(services, { recursive: true });
    writeFileSync(path.join(services, 'org.apache.kafka.connect.transforms.Transformation'), `${SMT_CLASS}\n`);
    const steps = [
      [bin('javac'), ['--release', '17', '-nowarn', '-cp', path.join(p.libDir, '*'), '-d', classes, SMT_SOURCE]],
      [bin('jar'), ['--create', '--file', path.join(work, 'smt.jar'), '-C', classes, '.']],
    ];
    for (const [tool, args] of steps) {
      const run = await runCollect(tool, args).catch((err) => ({ code: 127, output: String(err) }));
      if (run.code !== 0) throw new Error(`eventsmith: building the OutboxHeaders SMT failed (${tool} exited with ${run.code}; a JDK 17+ is needed):\n${tail(run.output)}`);
    }
    mkdirSync(path.dirname(p.smtJar), { recursive: true });
    renameSync(path.join(work, 'smt.jar'), p.smtJar);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Java properties text; backslashes (regexes in predicates) must be doubled. */
function propertiesText(entries) {
  const esc = (s) => String(s).replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return `${Object.entries(entries)
    .map(([k, v]) => `${esc(k).replace(/([:= ])/g, '\\$1')}=${esc(v).replace(/^ /, '\\ ')}`)
    .join('\n')}\n`;
}

/** The libpq variables the emitted connector's `${env:PG*}` references read. */
function pgEnv(databaseUrl) {
  const u = new URL(databaseUrl);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
}

/**
 * Starts a standalone Connect worker on 127.0.0.1 running `connectors` against `brokers` and the
 * PostgreSQL of `databaseUrl`; resolves once every connector and task reports RUNNING.
 * @param {import('./debezium.d.mts').StartConnectOptions} options
 * @returns {Promise<import('./debezium.d.mts').ConnectWorker>}
 */
export async function startConnect(options) {
  const startedAt = Date.now();
  const jars = await ensureConnectJars(options);
  const java = resolveJava(options);
  const baseDir = mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'eventsmith-connect-'));
  const logFile = path.join(baseDir, 'connect.log');
  const log4jFile = path.join(baseDir, 'log4j.properties');
  const workerFile = path.join(baseDir, 'worker.properties');
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const restPort = await freePort();
  writeFileSync(
    log4jFile,
    propertiesText({
      'log4j.rootLogger': `${options.logLevel ?? 'WARN'}, stdout`,
      'log4j.appender.stdout': 'org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout': 'org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern': '[%d] %p %m (%c)%n',
      'log4j.logger.io.debezium': 'INFO',
    }),
  );
  writeFileSync(
    workerFile,
    propertiesText({
      'bootstrap.servers': options.brokers.join(','),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
      'offset.storage.file.filename': path.join(baseDir, 'offsets.dat'),
      // How often source offsets are committed; Debezium then confirms the LSN to the slot, which
      // lets outbox pruning go on. Production workers keep the 60 s default or lower it likewise.
      'offset.flush.interval.ms': String(options.offsetFlushIntervalMs ?? 1000),
      listeners: `http://127.0.0.1:${restPort}`,
      'plugin.discovery': 'hybrid_warn',
      'config.providers': 'env',
      'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
      ...(options.workerProperties ?? {}),
    }),
  );
  const connectorFiles = options.connectors.map((c, i) => {
    const file = path.join(baseDir, `connector-${i}.properties`);
    writeFileSync(file, propertiesText({ name: c.name, ...c.config, ...(options.connectorOverrides ?? {}) }));
    return file;
  });
  const env = { ...process.env, ...pgEnv(options.databaseUrl) };
  const url = `http://127.0.0.1:${restPort}`;
  let current;
  let removed = false;
  const killSync = () => {
    if (current?.running()) current.proc.kill('SIGKILL');
  };
  const onExit = () => {
    killSync();
    if (!removed) rmSync(baseDir, { recursive: true, force: true });
    removed = true;
  };
  if (options.stopOnExit !== false) process.on('exit', onExit);

  const spawnWorker = () => {
    const args = [
      ...JVM_FLAGS,
      ...(options.jvmArgs ?? []),
      `-Dlog4j.configuration=file:${log4jFile}`,
      '-cp',
      jars.classpath,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      workerFile,
      ...connectorFiles,
    ];
    current = spawnWatchedJvm(java, args, { logFile, name: 'eventsmith-connect', env, cwd: baseDir });
    return current;
  };

  const status = async (name) => {
    try {
      const res = await fetch(`${url}/connectors/${encodeURIComponent(name)}/status`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? await res.json() : undefined;
    } catch {
      return undefined;
    }
  };

  const waitRunning = async (worker) => {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const err = worker.spawnError();
      if (err) throw new Error(`eventsmith: could not start ${java}: ${err.message}`);
      if (!worker.running()) throw new Error(`eventsmith: the Connect worker exited during startup\n--- ${logFile} ---\n${readTail(logFile)}`);
      const all = await Promise.all(options.connectors.map((c) => status(c.name)));
      const failed = all.flatMap((s) => (s ? [s.connector, ...s.tasks] : [])).find((x) => x.state === 'FAILED');
      if (failed) throw new Error(`eventsmith: a connector failed:\n${failed.trace ?? JSON.stringify(failed)}\n--- ${logFile} ---\n${readTail(logFile)}`);
      if (all.every((s) => s && s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING'))) return;
      if (Date.now() > deadline) throw new Error(`eventsmith: the connectors were not running after ${readyTimeoutMs / 1000} s\n--- ${logFile} ---\n${readTail(logFile)}`);
      await sleep(250);
    }
  };

  const halt = async (signal = 'SIGTERM') => {
    const worker = current;
    if (!worker?.running()) return;
    worker.proc.kill(signal);
    const timer = setTimeout(killSync, options.stopTimeoutMs ?? 15_000);
    await worker.exited;
    clearTimeout(timer);
  };

  try {
    await waitRunning(spawnWorker());
  } catch (err) {
    await halt('SIGKILL');
    onExit();
    process.removeListener('exit', onExit);
    throw err;
  }
  return {
    url,
    baseDir,
    logFile,
    get pid() {
      return current?.running() ? current.proc.pid : undefined;
    },
    startMillis: Date.now() - startedAt,
    fetchMillis: jars.millis,
    kill: () => halt('SIGKILL'),
    halt: () => halt('SIGTERM'),
    async resume() {
      if (current?.running()) return;
      await waitRunning(spawnWorker());
    },
    async stop() {
      await halt('SIGTERM');
      onExit();
      process.removeListener('exit', onExit);
    },
  };
}

const USAGE = `usage: node generator/dev/debezium.mjs <command>
  fetch   download Kafka Connect ${DEFAULT_KAFKA_VERSION} and Debezium ${DEFAULT_DEBEZIUM_VERSION} with mvn into the cache (once); print the folder
  smt     the same, and print the path of the OutboxHeaders SMT jar to put beside the connector in plugin.path
EVENTSMITH_CACHE_DIR moves the cache (now ${cacheRoot()}).`;

async function main(argv) {
  const [command] = argv;
  if (command === 'fetch' || command === 'smt') {
    const jars = await ensureConnectJars();
    process.stdout.write(`${command === 'fetch' ? jars.libDir : jars.smtJar}\n`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
}

runIfMain(import.meta.url, main);


