#!/usr/bin/env node
// A throwaway PostgreSQL cluster for tests, benchmarks and the example service.
//
// Plain JavaScript on purpose: Node 20 cannot run TypeScript, and this file must also work as
//   node generator/dev/postgres.mjs start|stop|status|run -- <command...>
// Types live in postgres.d.mts; tests import it through postgres.ts.
//
// If DATABASE_URL is set, nothing is started and that URL is used as is.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chownSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);
const PREFERRED_MAJOR = '15';
const DEFAULT_DATABASE = 'eventsmith';
const SUPERUSER = 'postgres';

/**
 * Settings for a cluster whose data is thrown away: nothing is worth an fsync.
 * `durable: true` drops them (benchmarks that want numbers close to production).
 */
const FAST_SETTINGS = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
};

const BASE_SETTINGS = {
  listen_addresses: '127.0.0.1',
  // 50 concurrent appends per test plus pools of parallel test files.
  max_connections: '200',
  // Unix sockets go into our temp dir (set per start), never /var/run/postgresql.
  logging_collector: 'off',
  log_min_messages: 'warning',
};

/**
 * `logical: true`: logical decoding for CDC (Debezium's pgoutput), which needs a restart to turn on;
 * slots and senders for a few connectors at once.
 */
const LOGICAL_SETTINGS = {
  wal_level: 'logical',
  max_replication_slots: '10',
  max_wal_senders: '10',
};

/** Finds initdb/pg_ctl: $PG_BINDIR, Debian's PostgreSQL 15, any other Debian major, pg_config. */
export function findPostgresBinDir() {
  const candidates = [];
  // Set on purpose: only that folder.
  if (process.env.PG_BINDIR) {
    const dir = process.env.PG_BINDIR;
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
    throw new Error(`eventsmith: PG_BINDIR is ${dir}, which holds no initdb and pg_ctl (PostgreSQL's server binaries).`);
  }
  candidates.push(`/usr/lib/postgresql/${PREFERRED_MAJOR}/bin`);
  if (existsSync('/usr/lib/postgresql')) {
    const majors = readdirSync('/usr/lib/postgresql')
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    for (const m of majors) candidates.push(`/usr/lib/postgresql/${m}/bin`);
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error(
    `eventsmith: no PostgreSQL server binaries found (looked in ${candidates.join(', ')}). ` +
      'Install postgresql-15 (Debian: apt-get install postgresql-15) or set PG_BINDIR or DATABASE_URL.',
  );
}

/**
 * initdb refuses to run as root, so as root every server command runs as the `postgres` OS user,
 * which must then own the temp directory.
 */
function resolveRunAs() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = spawnSync('id', ['-u', SUPERUSER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', SUPERUSER], { encoding: 'utf8' });
  if (id.status !== 0 || gid.status !== 0) {
    throw new Error(`eventsmith: running as root, but there is no '${SUPERUSER}' OS user to run PostgreSQL as.`);
  }
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p));
  return { user: SUPERUSER, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()), runuser };
}

function shellQuote(arg) {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** [file, args] that runs `file args` as the target user. */
function asUser(runAs, file, args) {
  if (!runAs) return [file, args];
  if (runAs.runuser) return [runAs.runuser, ['-u', runAs.user, '--', file, ...args]];
  return ['su', [runAs.user, '-s', '/bin/sh', '-c', [file, ...args].map(shellQuote).join(' ')]];
}

async function run(runAs, file, args, what) {
  const [cmd, cmdArgs] = asUser(runAs, file, args);
  try {
    return await execFileAsync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = /** @type {{ stdout?: string; stderr?: string; message: string }} */ (err);
    throw new Error(`eventsmith: ${what} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trimEnd());
  }
}

function runSync(runAs, file, args) {
  const [cmd, cmdArgs] = asUser(runAs, file, args);
  return spawnSync(cmd, cmdArgs, { encoding: 'utf8' });
}

/** A port nobody listens on right now; start() retries if another process takes it first. */
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

function settingsArgs(settings) {
  return Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${shellQuote(String(v))}`)
    .join(' ');
}

function readLogTail(logFile) {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts a cluster (or adopts DATABASE_URL).
 * @param {import('./postgres.d.mts').StartOptions} [options]
 * @returns {Promise<import('./postgres.d.mts').PostgresCluster>}
 */
export async function startPostgres(options = {}) {
  const envUrl = options.ignoreDatabaseUrl ? undefined : process.env.DATABASE_URL;
  if (envUrl) {
    return { url: envUrl, external: true, port: undefined, baseDir: undefined, stop: async () => {} };
  }

  const startedAt = Date.now();
  const binDir = options.binDir ?? findPostgresBinDir();
  const runAs = resolveRunAs();
  const baseDir = mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'eventsmith-pg-'));
  const dataDir = path.join(baseDir, 'data');
  const socketDir = path.join(baseDir, 'sock');
  const logFile = path.join(baseDir, 'postgres.log');
  mkdirSync(socketDir);
  if (runAs) {
    for (const p of [baseDir, socketDir]) chownSync(p, runAs.uid, runAs.gid);
  }

  const database = options.database ?? DEFAULT_DATABASE;
  let stopped = false;
  let port = 0;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stopSync);
    if (existsSync(path.join(dataDir, 'postmaster.pid'))) {
      runSync(runAs, path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    }
    rmSync(baseDir, { recursive: true, force: true });
  };
  // Tests that crash must not leave servers behind; the CLI's `start` wants the opposite.
  if (options.stopOnExit !== false) process.on('exit', stopSync);

  try {
    await run(
      runAs,
      path.join(binDir, 'initdb'),
      ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      'initdb',
    );
    const settings = {
      ...BASE_SETTINGS,
      ...(options.durable ? {} : FAST_SETTINGS),
      ...(options.logical ? LOGICAL_SETTINGS : {}),
      unix_socket_directories: socketDir,
      ...(options.settings ?? {}),
    };
    let lastError;
    for (let attempt = 0; attempt < 5; attempt++) {
      port = await freePort();
      try {
        await run(
          runAs,
          path.join(binDir, 'pg_ctl'),
          ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port} ${settingsArgs(settings)}`, 'start'],
          'pg_ctl start',
        );
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err;
        // Only a lost race for the port is worth another try.
        if (!/could not bind|Address already in use/i.test(readLogTail(logFile))) break;
      }
    }
    if (lastError) throw new Error(`${lastError.message}\n--- server log ---\n${readLogTail(logFile)}`);

    const admin = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    stopSync();
    throw err;
  }

  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    url,
    external: false,
    port,
    baseDir,
    startMillis: Date.now() - startedAt,
    stop: async () => stopSync(),
  };
}

/** Stops a cluster described by a state file written by `start` (the CLI). */
export function stopPostgresFromState(state) {
  if (state.external || !state.baseDir) return;
  const runAs = resolveRunAs();
  const dataDir = path.join(state.baseDir, 'data');
  if (existsSync(path.join(dataDir, 'postmaster.pid'))) {
    const r = runSync(runAs, path.join(state.binDir ?? findPostgresBinDir(), 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    if (r.status !== 0) process.stderr.write(r.stderr);
  }
  rmSync(state.baseDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// CLI

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const defaultStateFile = path.join(repoRoot, 'test', 'tmp', 'postgres.json');

function parseCli(argv) {
  const [command, ...rest] = argv;
  let stateFile = defaultStateFile;
  let durable = false;
  const commandArgs = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--') {
      commandArgs.push(...rest.slice(i + 1));
      break;
    }
    if (a === '--state') stateFile = path.resolve(rest[++i] ?? '');
    else if (a === '--durable') durable = true;
    else commandArgs.push(a);
  }
  return { command, stateFile, durable, commandArgs };
}

const USAGE = `usage: node generator/dev/postgres.mjs <command> [--state FILE] [--durable]
  start            start a throwaway PostgreSQL cluster; print its URL (state in test/tmp/postgres.json)
  stop             stop the cluster recorded in the state file and delete its data
  status           print the URL of the running cluster, exit 1 if none
  run -- CMD ARGS  start, run CMD with DATABASE_URL set, stop; exit with CMD's status
DATABASE_URL, if set, is used instead of starting a cluster.`;

async function main(argv) {
  const { command, stateFile, durable, commandArgs } = parseCli(argv);
  const readState = () => (existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : undefined);
  switch (command) {
    case 'start': {
      const existing = readState();
      if (existing) {
        if (existing.external || existsSync(path.join(existing.baseDir, 'data', 'postmaster.pid'))) {
          process.stdout.write(`${existing.url}\n`);
          return 0;
        }
        rmSync(stateFile, { force: true });
      }
      const cluster = await startPostgres({ stopOnExit: false, durable });
      mkdirSync(path.dirname(stateFile), { recursive: true });
      writeFileSync(
        stateFile,
        `${JSON.stringify({ url: cluster.url, external: cluster.external, baseDir: cluster.baseDir, binDir: cluster.external ? undefined : findPostgresBinDir(), port: cluster.port }, null, 2)}\n`,
      );
      process.stdout.write(`${cluster.url}\n`);
      return 0;
    }
    case 'stop': {
      const state = readState();
      if (!state) {
        process.stderr.write(`no cluster recorded in ${stateFile}\n`);
        return 0;
      }
      stopPostgresFromState(state);
      rmSync(stateFile, { force: true });
      return 0;
    }
    case 'status': {
      const state = readState();
      if (state && (state.external || existsSync(path.join(state.baseDir, 'data', 'postmaster.pid')))) {
        process.stdout.write(`${state.url}\n`);
        return 0;
      }
      process.stderr.write('not running\n');
      return 1;
    }
    case 'run': {
      if (commandArgs.length === 0) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
      }
      const cluster = await startPostgres({ durable });
      try {
        const [cmd, ...args] = commandArgs;
        const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, DATABASE_URL: cluster.url } });
        const forward = (sig) => child.kill(sig);
        process.on('SIGINT', forward);
        process.on('SIGTERM', forward);
        const code = await new Promise((resolve) => {
          child.on('error', (err) => {
            process.stderr.write(`${err.message}\n`);
            resolve(127);
          });
          child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
        });
        process.removeListener('SIGINT', forward);
        process.removeListener('SIGTERM', forward);
        return code;
      } finally {
        await cluster.stop();
      }
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
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
