// `eventsmith dev`: throwaway PostgreSQL and Kafka from the machine's own binaries, started as the
// tests start them, for trying a service out.
//
// With `registry:` in ./eventsmith.config.yaml a schema registry is started too (SCHEMA_REGISTRY_URL).
//
//   eventsmith dev                 start them, print DATABASE_URL and KAFKA_BROKERS, run until
//                                  Ctrl-C or SIGTERM, then stop them and delete their data
//   eventsmith dev -- CMD ARGS…    start them, run CMD with both variables set, stop them, exit
//                                  with CMD's status
//
// A variable already set names a running instance, which is used instead of starting one.
// Nothing keeps running after we exit, even when killed: PostgreSQL is stopped by an exit hook
// of generator/dev/postgres.mjs and the Kafka JVM by the watchdog of generator/dev/kafka.mjs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Diagnostics } from '../core/diagnostics.js';
import { defaultConfigFile, parseConfig } from './project.js';
import os from 'node:os';
import type { Progress } from '../dev/progress.mjs';
import { type DevService, type StartedService, devServices, loadDevScripts } from './dev-services.js';

export interface DevIo {
  out(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
}

export const devExitCodes = { ok: 0, failed: 1, missing: 2 } as const;

const signalNumber = (signal: NodeJS.Signals): number => os.constants.signals[signal] ?? 0;

/** Resolves with the first SIGINT or SIGTERM; `off` removes the listeners. */
function nextSignal(): { readonly signal: Promise<NodeJS.Signals>; off(): void } {
  let on: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    on = (s) => resolve(s);
  });
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    signal,
    off: () => {
      process.removeListener('SIGINT', on);
      process.removeListener('SIGTERM', on);
    },
  };
}

async function stopAll(started: readonly StartedService[], io: DevIo): Promise<void> {
  for (const s of [...started].reverse()) {
    try {
      await s.stop();
    } catch (err) {
      io.err(`eventsmith dev: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

/** Starts every service not given by its variable; on a failure stops the others and throws. */
async function startAll(services: readonly DevService[], progress: Progress, io: DevIo): Promise<{ env: Record<string, string>; started: StartedService[] }> {
  const env: Record<string, string> = {};
  const toStart: DevService[] = [];
  for (const s of services) {
    const given = process.env[s.envVar];
    if (given !== undefined && given !== '') {
      env[s.envVar] = given;
      progress.line(`${s.name}: using ${s.envVar} from the environment`);
    } else toStart.push(s);
  }
  const results = await Promise.allSettled(toStart.map((s) => s.start(progress)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ name: toStart[i]?.name ?? '?', error: r.reason as unknown }] : []));
  if (failures.length > 0) {
    await stopAll(started, io);
    throw new Error(failures.map((f) => `${f.name} did not start: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('\n'));
  }
  for (const s of started) Object.assign(env, s.env);
  return { env, started };
}

function runCommand(command: readonly string[], env: Readonly<Record<string, string>>, io: DevIo): Promise<number> {
  return new Promise((resolve) => {
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    // Ctrl-C reaches the whole foreground group; a SIGTERM sent to us alone is passed on.
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const done = (code: number): void => {
      process.removeListener('SIGINT', forward);
      process.removeListener('SIGTERM', forward);
      resolve(code);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      io.err(`eventsmith dev: cannot run ${file}: ${err.code === 'ENOENT' ? 'command not found' : err.message}\n`);
      done(127);
    });
    child.once('exit', (code, signal) => done(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

/** `eventsmith dev [-- command…]`; resolves with the exit code. */
/** Whether ./eventsmith.config.yaml has a `registry:` section (then a registry is started too). */
async function configNamesRegistry(): Promise<boolean> {
  const file = path.resolve(defaultConfigFile);
  if (!existsSync(file)) return false;
  const config = await parseConfig(defaultConfigFile, await readFile(file), new Diagnostics());
  return config?.registry !== undefined;
}

export async function runDev(io: DevIo, command: readonly string[]): Promise<number> {
  const scripts = await loadDevScripts();
  const services = devServices(scripts, process.env, { registry: await configNamesRegistry() });
  const missing = services.filter((s) => !process.env[s.envVar]).flatMap((s) => s.missing());
  if (missing.length > 0) {
    io.err(`eventsmith dev: cannot start the local services; missing:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);
    return devExitCodes.missing;
  }

  const progress = scripts.progress.createProgress({ stream: { write: (t: string) => io.err(t), isTTY: io.isTTY } });
  // A signal while starting: exit at once; the scripts' exit hooks stop what already runs.
  const early = (signal: NodeJS.Signals): void => {
    progress.stop();
    io.err(`eventsmith dev: ${signal} while starting; stopped\n`);
    process.exit(128 + signalNumber(signal));
  };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  let running: { env: Record<string, string>; started: StartedService[] };
  try {
    running = await startAll(services, progress, io);
  } catch (err) {
    progress.stop();
    io.err(`eventsmith dev: ${err instanceof Error ? err.message : String(err)}\n`);
    return devExitCodes.failed;
  } finally {
    process.removeListener('SIGINT', early);
    process.removeListener('SIGTERM', early);
  }
  progress.stop();

  const assignments = Object.entries(running.env).map(([k, v]) => `${k}=${v}`);
  try {
    if (command.length > 0) {
      io.err(`eventsmith dev: ${assignments.join(' ')} ${command.join(' ')}\n`);
      return await runCommand(command, running.env, io);
    }
    const wait = nextSignal();
    io.out(`${assignments.join('\n')}\n`);
    io.err(`eventsmith dev: ready; Ctrl-C stops ${running.started.length > 0 ? 'them and deletes their data' : 'this'}\n`);
    const signal = await wait.signal;
    wait.off();
    io.err(`eventsmith dev: ${signal}: stopping\n`);
    return devExitCodes.ok;
  } finally {
    // A second Ctrl-C while stopping would end us before the servers are stopped: hold it off.
    const held = nextSignal();
    try {
      await stopAll(running.started, io);
    } finally {
      held.off();
    }
  }
}
