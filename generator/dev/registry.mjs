#!/usr/bin/env node
// A throwaway Confluent-API-compatible schema registry (Apicurio Registry, in-memory storage) for
// tests, benchmarks and `eventsmith dev`.
//
// Plain JavaScript on purpose (like kafka.mjs): it also runs as
//   node generator/dev/registry.mjs build|start|run -- <command...>
// Types live in registry.d.mts.
//
// Confluent's own server is not on Maven Central; Apicurio Registry is, as libraries only. It is
// built once into a runnable jar with the Quarkus Maven plugin (the recipe of ../shared/REGISTRY.md:
// a private local repository, every repository mirrored to Central, two dependency fixes, a Jandex
// index for the app jar) and cached outside the repository, in
// ${EVENTSMITH_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/eventsmith}/apicurio-registry-<version>/app.
// If SCHEMA_REGISTRY_URL is set, nothing is built or started and that registry is used.
import { spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { acquireLock, cacheRoot, pidAlive, readTail, resolveJava, runCollect, sleep, tail, WATCHDOG } from './jvm-process.mjs';
import { runIfMain, serviceCli } from './service-cli.mjs';
import path from 'node:path';

export const DEFAULT_REGISTRY_VERSION = '2.4.2.Final';
/** The Quarkus version Apicurio Registry 2.4.2's parent POM uses. */
const QUARKUS_VERSION = '2.16.4.Final';
/** The app's Confluent-compatible API (Apicurio also serves /v6). */
const CCOMPAT_PATH = '/apis/ccompat/v7';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
/** Small and quick on two shared cores: ~250 MB RSS, ~3 s to ready from the cache. */
const JVM_FLAGS = ['-XX:+UseSerialGC', '-Xmx384m', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

function buildPaths(options) {
  const version = options.version ?? process.env.EVENTSMITH_REGISTRY_VERSION ?? DEFAULT_REGISTRY_VERSION;
  if (!/^[0-9][0-9A-Za-z.-]*$/.test(version)) throw new Error(`eventsmith: bad Apicurio Registry version '${version}'`);
  const dir = path.join(options.cacheDir ?? cacheRoot(), `apicurio-registry-${version}`);
  const appDir = path.join(dir, 'app');
  return { version, dir, appDir, marker: path.join(dir, 'complete.json') };
}

function runnerJarIn(appDir) {
  if (!existsSync(appDir)) return undefined;
  const jar = readdirSync(appDir).find((f) => f.endsWith('-runner.jar'));
  return jar === undefined ? undefined : path.join(appDir, jar);
}

/** Keeps dependency resolution on Maven Central: Apicurio's parent POM lists repositories that may be unreachable. */
function settingsXml() {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by eventsmith generator/dev/registry.mjs. -->
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <mirrors>
    <mirror><id>central-only</id><mirrorOf>*</mirrorOf><url>https://repo.maven.apache.org/maven2</url></mirror>
  </mirrors>
</settings>
`;
}

function pomXml(version) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by eventsmith generator/dev/registry.mjs: builds Apicurio Registry into a runnable jar. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.eventsmith.cache</groupId>
  <artifactId>apicurio-registry-runner</artifactId>
  <version>${version}</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>io.apicurio</groupId><artifactId>apicurio-registry</artifactId><version>${version}</version>
        <type>pom</type><scope>import</scope>
      </dependency>
      <!-- The -deployment jar of 0.1.18.Final is missing from Central; the runtime classes are equal. -->
      <dependency>
        <groupId>io.apicurio</groupId><artifactId>apicurio-common-app-components-config-index</artifactId><version>0.1.10.Final</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>io.apicurio</groupId><artifactId>apicurio-registry-app</artifactId><version>${version}</version>
      <exclusions>
        <!-- On JitPack only; the same library is on Central as com.github.erosb:everit-json-schema. -->
        <exclusion><groupId>com.github.everit-org.json-schema</groupId><artifactId>org.everit.json.schema</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency><groupId>com.github.erosb</groupId><artifactId>everit-json-schema</artifactId><version>1.14.2</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>io.quarkus</groupId><artifactId>quarkus-maven-plugin</artifactId><version>${QUARKUS_VERSION}</version>
        <executions><execution><goals><goal>build</goal></goals></execution></executions>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

/** application.properties from inside a jar (unzip if present, else the JDK's jar tool). */
async function extractFromJar(jar, entry, workDir, java) {
  const unzip = await runCollect('unzip', ['-p', jar, entry]).catch(() => undefined);
  if (unzip && unzip.code === 0 && unzip.output.length > 0) return unzip.output;
  const jarTool = java.includes(path.sep) ? path.join(path.dirname(java), 'jar') : 'jar';
  const out = mkdtempSync(path.join(workDir, 'extract-'));
  const run = await runCollect(jarTool, ['xf', jar, entry], { cwd: out });
  const file = path.join(out, entry);
  if (run.code !== 0 || !existsSync(file)) throw new Error(`eventsmith: could not read ${entry} from ${jar}: ${tail(run.output)}`);
  return readFileSync(file, 'utf8');
}

/**
 * Whether the registry's runnable jar is in the cache already (then no mvn is needed).
 * @param {import('./registry.d.mts').BuildRegistryOptions} [options]
 */
export function registryBuilt(options = {}) {
  const { marker, appDir } = buildPaths(options);
  return existsSync(marker) && runnerJarIn(appDir) !== undefined;
}

/**
 * Builds Apicurio Registry into <cache>/apicurio-registry-<version>/app the first time (~40 s, ~216 MB
 * from Maven Central); later calls return at once.
 * @param {import('./registry.d.mts').BuildRegistryOptions} [options]
 * @returns {Promise<import('./registry.d.mts').RegistryBuild>}
 */
export async function ensureRegistryBuild(options = {}) {
  const { version, dir, appDir, marker } = buildPaths(options);
  const result = (built, millis) => ({ version, dir, runnerJar: /** @type {string} */ (runnerJarIn(appDir)), built, millis });
  const complete = () => existsSync(marker) && runnerJarIn(appDir) !== undefined;
  if (complete()) return result(false, 0);

  const startedAt = Date.now();
  mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, '.lock');
  const locked = await acquireLock(lockFile, complete, options.timeoutMs ?? 15 * 60_000, 'building the schema registry');
  if (!locked) return result(false, Date.now() - startedAt);
  const work = path.join(dir, `build.partial-${process.pid}`);
  try {
    if (complete()) return result(false, Date.now() - startedAt);
    const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    log(`eventsmith: building Apicurio Registry ${version} from Maven Central with mvn into ${appDir} (first run only, ~40 s)`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(path.join(work, 'src', 'main', 'resources'), { recursive: true });
    writeFileSync(path.join(work, 'pom.xml'), pomXml(version));
    writeFileSync(path.join(work, 'settings.xml'), settingsXml());
    const mvn = options.mvn ?? process.env.EVENTSMITH_MVN ?? 'mvn';
    const java = resolveJava(options);
    const common = ['-B', '-q', '-Dstyle.color=never', '-s', path.join(work, 'settings.xml'), `-Dmaven.repo.local=${path.join(dir, 'm2')}`];
    const run = async (args, what) => {
      let r;
      try {
        r = await runCollect(mvn, [...common, ...args], { cwd: work });
      } catch (err) {
        const e = /** @type {NodeJS.ErrnoException} */ (err);
        throw new Error(
          e.code === 'ENOENT'
            ? `eventsmith: '${mvn}' not found. Apache Maven is needed once to build the schema registry ` +
                `(Debian: apt-get install maven), or set SCHEMA_REGISTRY_URL to use a running registry.`
            : `eventsmith: could not run ${mvn}: ${e.message}`,
        );
      }
      if (r.code !== 0) {
        throw new Error(
          `eventsmith: building the schema registry failed while ${what} (mvn exited with ${r.code}).\n` +
            `Maven Central must be reachable (proxy settings go in ~/.m2/settings.xml).\n--- mvn output ---\n${tail(r.output) || '(none)'}`,
        );
      }
    };
    // 1. The app jar, for its application.properties (the wrapper must carry the app's configuration).
    const appJarDir = path.join(work, 'app-jar');
    await run([`${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=io.apicurio:apicurio-registry-app:${version}:jar`, `-DoutputDirectory=${appJarDir}`], 'fetching the app jar');
    const appJar = path.join(appJarDir, `apicurio-registry-app-${version}.jar`);
    const properties = await extractFromJar(appJar, 'application.properties', work, java);
    writeFileSync(
      path.join(work, 'src', 'main', 'resources', 'application.properties'),
      `${properties}\n# eventsmith: the app jar has no Jandex index; let Quarkus index it.\n` +
        'quarkus.index-dependency.registryapp.group-id=io.apicurio\n' +
        'quarkus.index-dependency.registryapp.artifact-id=apicurio-registry-app\n' +
        'quarkus.package.type=legacy-jar\n',
    );
    // 2. The Quarkus build: target/<artifact>-<version>-runner.jar and target/lib.
    await run(['package', '-DskipTests'], 'running the Quarkus build');
    const target = path.join(work, 'target');
    const runner = readdirSync(target).find((f) => f.endsWith('-runner.jar'));
    if (runner === undefined || !existsSync(path.join(target, 'lib'))) throw new Error(`eventsmith: the Quarkus build left no runner jar in ${target}`);
    const staging = path.join(dir, `app.partial-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    cpSync(path.join(target, runner), path.join(staging, runner));
    cpSync(path.join(target, 'lib'), path.join(staging, 'lib'), { recursive: true });
    rmSync(appDir, { recursive: true, force: true });
    renameSync(staging, appDir);
    const jars = readdirSync(path.join(appDir, 'lib'), { recursive: true }).filter((f) => String(f).endsWith('.jar')).length;
    writeFileSync(marker, `${JSON.stringify({ version, quarkus: QUARKUS_VERSION, builtAt: new Date().toISOString(), jars }, null, 2)}\n`);
    const millis = Date.now() - startedAt;
    log(`eventsmith: built Apicurio Registry ${version} in ${(millis / 1000).toFixed(1)} s`);
    return result(true, millis);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(lockFile, { force: true });
  }
}

function freePort() {
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

/** GET with a short timeout; resolves with the status, or 0 when nothing answered. */
async function probe(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * Starts the registry on 127.0.0.1 (or adopts SCHEMA_REGISTRY_URL).
 * @param {import('./registry.d.mts').StartRegistryOptions} [options]
 * @returns {Promise<import('./registry.d.mts').SchemaRegistryServer>}
 */
export async function startRegistry(options = {}) {
  const envUrl = options.ignoreSchemaRegistryUrl ? undefined : process.env.SCHEMA_REGISTRY_URL?.trim();
  if (envUrl) {
    const unsupported = async () => {
      throw new Error('eventsmith: the registry comes from SCHEMA_REGISTRY_URL; it cannot be halted or restarted from here');
    };
    return { url: envUrl.replace(/\/+$/, ''), external: true, port: undefined, pid: undefined, baseDir: undefined, logFile: undefined, startMillis: 0, buildMillis: 0, stop: async () => {}, halt: unsupported, resume: unsupported };
  }
  const startedAt = Date.now();
  const build = await ensureRegistryBuild({ version: options.version, log: options.log });
  const java = resolveJava(options);
  const baseDir = mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'eventsmith-registry-'));
  const logFile = path.join(baseDir, 'registry.log');
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  // Confluent's default is BACKWARD; Apicurio's is NONE.
  const compatibility = options.compatibility ?? 'BACKWARD';
  const port = options.port ?? (await freePort());
  // H2 in a file of the temp directory (not in memory): halt() and resume() keep every schema and
  // id, as a real registry's restart does.
  const env = { ...process.env, REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${path.join(baseDir, 'registry_db')}` };
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  /** @type {Promise<void> | undefined} */
  let exited;
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
  const onExit = () => {
    killSync();
    if (!removed) rmSync(baseDir, { recursive: true, force: true });
    removed = true;
  };
  if (options.stopOnExit !== false) process.on('exit', onExit);

  const spawnJvm = () => {
    const args = [
      ...JVM_FLAGS,
      ...(options.jvmArgs ?? []),
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${port}`,
      `-Dregistry.rules.global.compatibility=${compatibility}`,
      '-Dquarkus.log.console.color=false',
      // Two connections are plenty for one test run (the app's default pool opens 20 at start).
      '-Dquarkus.datasource.jdbc.initial-size=2',
      '-Dquarkus.datasource.jdbc.min-size=2',
      '-jar',
      build.runnerJar,
    ];
    const out = openSync(logFile, 'a');
    try {
      child =
        process.platform === 'win32'
          ? spawn(java, args, { stdio: ['ignore', out, out], cwd: baseDir, env })
          : spawn('/bin/sh', ['-c', WATCHDOG, 'eventsmith-registry', java, ...args], { stdio: ['pipe', out, out], cwd: baseDir, env });
    } finally {
      closeSync(out);
    }
    const proc = child;
    proc.stdin?.on('error', () => {});
    exited = new Promise((resolve) => {
      proc.once('exit', () => {
        proc.stdin?.destroy();
        resolve();
      });
      proc.once('error', () => resolve());
    });
    let spawnError;
    proc.once('error', (err) => (spawnError = err));
    return { proc, spawnError: () => spawnError };
  };

  const waitReady = async (spawned) => {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const err = spawned.spawnError();
      if (err) throw new Error(`eventsmith: could not start ${java}: ${err.message}`);
      if (spawned.proc.exitCode !== null || spawned.proc.signalCode !== null) {
        throw new Error(`eventsmith: the schema registry exited before it was ready\n--- ${logFile} ---\n${readTail(logFile)}`);
      }
      if ((await probe(`http://127.0.0.1:${port}/health/ready`)) === 200) return;
      if (Date.now() > deadline) throw new Error(`eventsmith: the schema registry was not ready after ${readyTimeoutMs / 1000} s\n--- ${logFile} ---\n${readTail(logFile)}`);
      await sleep(200);
    }
  };

  const halt = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(killSync, options.stopTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(timer);
  };
  const resume = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    await waitReady(spawnJvm());
  };

  try {
    await waitReady(spawnJvm());
  } catch (err) {
    await halt().catch(() => {});
    onExit();
    process.removeListener('exit', onExit);
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}${CCOMPAT_PATH}`,
    external: false,
    port,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    baseDir,
    logFile,
    startMillis: Date.now() - startedAt,
    buildMillis: build.millis,
    async stop() {
      await halt();
      onExit();
      process.removeListener('exit', onExit);
    },
    halt,
    resume,
  };
}

const USAGE = `usage: node generator/dev/registry.mjs <command>
  build            build Apicurio Registry ${DEFAULT_REGISTRY_VERSION} into the cache (first run only) and print its jar
  start            start a registry; print SCHEMA_REGISTRY_URL=...; Ctrl-C stops it
  run -- CMD ARGS  start a registry, run CMD with SCHEMA_REGISTRY_URL set, stop; exit with CMD's status
SCHEMA_REGISTRY_URL, if set, is used instead of starting a registry. EVENTSMITH_CACHE_DIR moves the
cache (now ${cacheRoot()}).`;

async function main(argv) {
  return serviceCli(argv, {
    usage: USAGE,
    prepare: { command: 'build', run: async () => (await ensureRegistryBuild()).runnerJar },
    start: startRegistry,
    env: (registry) => ({ SCHEMA_REGISTRY_URL: registry.url }),
    readyLine: (registry) => `eventsmith: schema registry ready in ${(registry.startMillis / 1000).toFixed(1)} s (pid ${registry.pid}); Ctrl-C stops it`,
  });
}

runIfMain(import.meta.url, main);

export { cacheRoot };
