// What the throwaway JVM servers (kafka.mjs, registry.mjs) share: the cache root, the java
// executable, a cross-process lock for the one-time download or build, and process helpers.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
