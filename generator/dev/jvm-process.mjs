// What the throwaway JVM servers (kafka.mjs, registry.mjs) share: the cache root, the java
// executable, a cross-process lock for the one-time download or build, and process helpers.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A `sh -c` prologue that runs "$@" and kills it with SIGKILL once our stdin pipe closes, so the
 * JVM dies with the process that started it, even on SIGKILL. fd 3 carries our pipe to the reader:
 * a background list's stdin is /dev/null.
 */
export const WATCHDOG = 'exec 3<&0; (cat <&3 >/dev/null 2>&1; kill -9 $$ 2>/dev/null) & exec "$@" </dev/null 3<&-';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** ${EVENTSMITH_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/eventsmith} */
export function cacheRoot() {
  if (process.env.EVENTSMITH_CACHE_DIR) return path.resolve(process.env.EVENTSMITH_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'eventsmith');
}

/** The java executable startKafka runs: options.java, $JAVA, $JAVA_HOME/bin/java, else `java`. */
export function resolveJava(options = {}) {
  if (options.java) return options.java;
  if (process.env.JAVA) return process.env.JAVA;
  if (process.env.JAVA_HOME) return path.join(process.env.JAVA_HOME, 'bin', 'java');
  return 'java';
}

export function tail(text, lines = 40) {
  return text.replace(/\u001b\[[0-9;]*m/g, '').split('\n').slice(-lines).join('\n').trim();
}

export function readTail(file, lines = 40) {
  try {
    return tail(readFileSync(file, 'utf8'), lines);
  } catch {
    return '';
  }
}

export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/** Runs a command with no stdin, collecting its output; resolves with the exit code. */
export function runCollect(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/** Takes `lockFile` (O_EXCL, holding our pid); steals it from dead holders. Returns false if `done()` became true while waiting. */
export async function acquireLock(lockFile, done, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
    }
    if (done()) return false;
    const holder = Number(readFileSync(lockFile, { encoding: 'utf8', flag: 'a+' }).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder)) {
      // Dead (or not yet written: give a writer a moment before stealing).
      await sleep(200);
      const again = Number(readFileSync(lockFile, { encoding: 'utf8', flag: 'a+' }).trim());
      if (again === holder || !Number.isInteger(again) || again <= 0 || !pidAlive(again)) rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`eventsmith: timed out waiting for process ${holder} to finish ${what} (lock ${lockFile})`);
    }
    await sleep(500);
  }
}

/**
 * Spawns `java args` with stdout and stderr appended to `logFile`, behind WATCHDOG on POSIX (the
 * JVM dies with this process, even on SIGKILL). `exited` resolves when it is gone.
 */
export function spawnWatchedJvm(java, args, { logFile, name, env, cwd } = {}) {
  const out = openSync(logFile, 'a');
  let proc;
  try {
    proc =
      process.platform === 'win32'
        ? spawn(java, args, { stdio: ['ignore', out, out], env, cwd })
        : spawn('/bin/sh', ['-c', WATCHDOG, name ?? 'eventsmith-jvm', java, ...args], { stdio: ['pipe', out, out], env, cwd });
  } finally {
    closeSync(out);
  }
  proc.stdin?.on('error', () => {});
  let spawnError;
  proc.once('error', (err) => (spawnError = err));
  const exited = new Promise((resolve) => {
    proc.once('exit', () => {
      proc.stdin?.destroy();
      resolve();
    });
    proc.once('error', () => resolve());
  });
  return { proc, exited, spawnError: () => spawnError, running: () => proc.exitCode === null && proc.signalCode === null };
}

/**
 * Copies the runtime jars of `dependencies` ([groupId, artifactId, version] triples) and all their
 * dependencies into `libDir` with `mvn dependency:copy-dependencies` (through a staging folder, so
 * a half-done fetch is never seen) and returns the jar names. `what` names the fetch in errors;
 * `instead` ends the "mvn not found" one (", or set X to use a running Y").
 */
export async function copyMavenDependencies({ dir, libDir, dependencies, managed = [], mvn, what, instead = '' }) {
  const xml = (rows) =>
    rows.map(([g, a, v]) => `      <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`).join('\n');
  const pom = path.join(dir, 'pom.xml');
  writeFileSync(
    pom,
    `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by eventsmith generator/dev: only used to fetch ${what}. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.eventsmith.cache</groupId>
  <artifactId>${path.basename(dir)}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
${xml(managed)}
    </dependencies>
  </dependencyManagement>
  <dependencies>
${xml(dependencies)}
  </dependencies>
</project>
`,
  );
  const staging = path.join(dir, `libs.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const args = ['-B', '-q', '-Dstyle.color=never', '-f', pom, `${DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'];
  let run;
  try {
    run = await runCollect(mvn, args, { cwd: dir });
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException} */ (err);
    throw new Error(
      e.code === 'ENOENT'
        ? `eventsmith: '${mvn}' not found. Apache Maven is needed once to fetch ${what} (Debian: apt-get install maven)${instead}.`
        : `eventsmith: could not run ${mvn}: ${e.message}`,
    );
  }
  if (run.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `eventsmith: fetching ${what} failed (${mvn} ${args.join(' ')} exited with ${run.code}).\n` +
        `Maven Central must be reachable (proxy settings go in ~/.m2/settings.xml).\n--- mvn output ---\n${tail(run.output) || '(none)'}`,
    );
  }
  rmSync(libDir, { recursive: true, force: true });
  renameSync(staging, libDir);
  return readdirSync(libDir).filter((f) => f.endsWith('.jar')).sort();
}

export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

