// The command line every throwaway-server script shares: `start` (print the variable, wait for
// Ctrl-C, stop) and `run -- CMD` (run CMD with the variable set, stop, exit with CMD's status),
// plus the script's own one-off command (fetch, build). Each server script supplies only what
// differs: how to start, which variable to print, and its ready line.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The exit status of a process killed by `sig`, as shells report it. */
function signalStatus(sig) {
  return 128 + (os.constants.signals[sig] ?? 0);
}

function waitForSignal() {
  return new Promise((resolve) => {
    const on = (sig) => {
      process.removeListener('SIGINT', on);
      process.removeListener('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * @param {string[]} argv
 * @param {{
 *   usage: string,
 *   prepare: { command: string, run: () => Promise<string> },
 *   start: () => Promise<{ external: boolean, stop: () => Promise<void> }>,
 *   env: (service: any) => Record<string, string>,
 *   readyLine: (service: any) => string,
 * }} spec
 */
export async function serviceCli(argv, spec) {
  const [command, ...rest] = argv;
  if (command === spec.prepare.command) {
    process.stdout.write(`${await spec.prepare.run()}\n`);
    return 0;
  }
  switch (command) {
    case 'start': {
      // A signal while starting: exit at once; the script's 'exit' hook kills the JVM and deletes its data.
      const early = (sig) => process.exit(signalStatus(sig));
      process.on('SIGINT', early);
      process.on('SIGTERM', early);
      let service;
      try {
        service = await spec.start();
      } finally {
        process.removeListener('SIGINT', early);
        process.removeListener('SIGTERM', early);
      }
      const signal = waitForSignal();
      for (const [name, value] of Object.entries(spec.env(service))) process.stdout.write(`${name}=${value}\n`);
      if (!service.external) process.stderr.write(`${spec.readyLine(service)}\n`);
      await signal;
      await service.stop();
      return 0;
    }
    case 'run': {
      const sep = rest.indexOf('--');
      const commandArgs = sep >= 0 ? rest.slice(sep + 1) : rest;
      if (commandArgs.length === 0) {
        process.stderr.write(`${spec.usage}\n`);
        return 2;
      }
      const service = await spec.start();
      try {
        const [cmd, ...args] = commandArgs;
        const child = spawn(/** @type {string} */ (cmd), args, { stdio: 'inherit', env: { ...process.env, ...spec.env(service) } });
        const forward = (sig) => child.kill(sig);
        process.on('SIGINT', forward);
        process.on('SIGTERM', forward);
        const code = await new Promise((resolve) => {
          child.on('error', (err) => {
            process.stderr.write(`${err.message}\n`);
            resolve(127);
          });
          child.on('exit', (c, sig) => resolve(c ?? (sig ? signalStatus(sig) : 1)));
        });
        process.removeListener('SIGINT', forward);
        process.removeListener('SIGTERM', forward);
        return code;
      } finally {
        await service.stop();
      }
    }
    default:
      process.stderr.write(`${spec.usage}\n`);
      return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
}

/** Runs `main` when `moduleUrl` is the script node was started with; errors are one line, exit 1. */
export function runIfMain(moduleUrl, main) {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
