// `eventsmith dev` through the built CLI: real PostgreSQL and Kafka from the machine's binaries,
// the variables a command sees, Ctrl-C and SIGTERM leaving nothing behind, variables already set,
// missing prerequisites, progress on a terminal only.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION, ensureKafkaJars } from '../support/kafka.mjs';
import { bin, repoRoot, runCli } from './run-cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-dev-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment of a run that starts its own servers. */
const fresh = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.DATABASE_URL;
  delete env.KAFKA_BROKERS;
  return env;
};

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv, file = process.execPath, fileArgs: readonly string[] = [bin]): Run {
  const child = spawn(file, [...fileArgs, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, stdout: () => out, stderr: () => err };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The data folders `dev` reported, and whether anything still runs from them. */
function dataDirs(stderr: string): string[] {
  return [...stderr.matchAll(/\(data in ([^)]+)\)/g)].map((m) => m[1] as string);
}

function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function expectNothingLeft(stderr: string): void {
  const dirs = dataDirs(stderr);
  expect(dirs).toHaveLength(2);
  for (const dir of dirs) {
    expect(existsSync(dir), dir).toBe(false);
    expect(processesUsing(dir), dir).toEqual([]);
  }
}

/** A command that uses both servers: a table and a row in PostgreSQL, a topic in Kafka. */
const CLIENT = `
const pg = require('pg');
const { Kafka, logLevel } = require('kafkajs');
(async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query('CREATE TABLE visits (n int)');
  await client.query('INSERT INTO visits VALUES (1)');
  const { rows } = await client.query('SELECT count(*)::int AS n FROM visits');
  await client.end();
  const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'visits' }], waitForLeaders: true });
  const topics = await admin.listTopics();
  await admin.disconnect();
  console.log(JSON.stringify({ rows: rows[0].n, topic: topics.includes('visits') }));
  process.exit(7);
})();
`;

describe('eventsmith dev', () => {
  it('-- COMMAND on a terminal: progress while starting, the command with both variables set, its exit status, nothing left', async () => {
    // `script` gives the CLI a terminal; the command's output comes through it too.
    const command = [bin, 'dev', '--', process.execPath, '-e', CLIENT].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const run = start([], fresh({ NODE_PATH: path.join(repoRoot, 'node_modules') }), 'script', ['-qec', `${process.execPath} ${command}`, '/dev/null']);
    const code = await run.exited;
    const out = run.stdout();
    expect(out, out).toContain('{"rows":1,"topic":true}');
    // Exit status of `script` is the command's (util-linux -e).
    expect(code, out).toBe(7);
    expect(out).toMatch(/\r\u001b\[2K⠋ PostgreSQL: initdb and start \(\d+\.\d s\)/);
    expect(out).toMatch(/Kafka: starting the broker \(\d+\.\d s\)/);
    expect(out).toMatch(/✓ PostgreSQL ready on 127\.0\.0\.1:\d+ in \d+\.\d s \(data in /);
    expect(out).toMatch(/✓ Kafka [\d.]+ ready on 127\.0\.0\.1:\d+ in \d+\.\d s \(data in /);
    expectNothingLeft(out);
  }, 180_000);

  it('without a command: prints DATABASE_URL and KAFKA_BROKERS, no progress off a terminal; Ctrl-C stops both and deletes their data', async () => {
    const run = start(['dev'], fresh());
    await until('the variables', () => /KAFKA_BROKERS=/.test(run.stdout()), 120_000);
    const lines = run.stdout().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:\d+\/eventsmith$/);
    expect(lines[1]).toMatch(/^KAFKA_BROKERS=127\.0\.0\.1:\d+$/);
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: (lines[0] as string).slice('DATABASE_URL='.length) });
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    const err = run.stderr();
    expect(err).not.toMatch(/[\r⠋⠙✓]|\u001b\[/);
    expect(err).toContain('eventsmith dev: ready; Ctrl-C stops them and deletes their data');
    expect(err).toContain('eventsmith dev: SIGINT: stopping');
    expectNothingLeft(err);
  }, 180_000);

  it('SIGTERM while a command runs: passed on to it, then both servers stopped', async () => {
    const run = start(['dev', '--', process.execPath, '-e', 'console.log("up"); setInterval(() => {}, 1000)'], fresh());
    await until('the command', () => run.stdout().includes('up'), 120_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(128 + 15);
    expectNothingLeft(run.stderr());
  }, 180_000);

  /** A stand-in for mvn: copies the jars of the real cache into the folder it is asked to fill (or fails). */
  async function fakeMvn(fails: boolean): Promise<string> {
    const jars = await ensureKafkaJars();
    const file = path.join(work, fails ? 'mvn-failing' : 'mvn-copying');
    writeFileSync(
      file,
      fails
        ? '#!/bin/sh\necho "[ERROR] Could not transfer artifact org.apache.kafka:kafka_2.13 from central: Network is unreachable"\nexit 1\n'
        : `#!/bin/sh\nsleep 1\nfor a in "$@"; do case "$a" in -DoutputDirectory=*) out="\${a#-DoutputDirectory=}";; esac; done\nmkdir -p "$out" && cp '${jars.libDir}'/*.jar "$out"/\n`,
    );
    chmodSync(file, 0o755);
    return file;
  }

  it('the first run downloads the jars with mvn: a progress step on a terminal, then the broker', async () => {
    const cache = mkdtempSync(path.join(work, 'first-run-'));
    const mvn = await fakeMvn(false);
    const command = `${process.execPath} ${bin} dev -- ${process.execPath} -e 'console.log("brokers " + process.env.KAFKA_BROKERS)'`;
    const run = start([], fresh({ EVENTSMITH_CACHE_DIR: cache, EVENTSMITH_MVN: mvn }), 'script', ['-qec', command, '/dev/null']);
    const code = await run.exited;
    const out = run.stdout();
    expect(code, out).toBe(0);
    expect(out).toMatch(/Kafka: downloading the broker's jars with mvn \(first run only\) \(\d+\.\d s\)/);
    expect(out).toContain(`eventsmith: fetching Apache Kafka ${DEFAULT_KAFKA_VERSION} jars from Maven Central with mvn`);
    expect(out).toMatch(/brokers 127\.0\.0\.1:\d+/);
    expect(existsSync(path.join(cache, `kafka-${DEFAULT_KAFKA_VERSION}`, 'complete.json'))).toBe(true);
    expectNothingLeft(out);
  }, 180_000);

  it("a download that fails: mvn's own words, exit 1, no stack trace, PostgreSQL stopped again", async () => {
    const cache = mkdtempSync(path.join(work, 'offline-'));
    const run = start(['dev', '--', process.execPath, '-e', 'console.log("never")'], fresh({ EVENTSMITH_CACHE_DIR: cache, EVENTSMITH_MVN: await fakeMvn(true) }));
    expect(await run.exited).toBe(1);
    const err = run.stderr();
    expect(run.stdout()).toBe('');
    expect(err).toContain(`eventsmith dev: Kafka did not start: eventsmith: fetching Kafka ${DEFAULT_KAFKA_VERSION} jars failed`);
    expect(err).toContain('Network is unreachable');
    expect(err).not.toMatch(/\n\s+at /);
    const pgDirs = dataDirs(err);
    expect(pgDirs).toHaveLength(1);
    expect(existsSync(pgDirs[0] as string)).toBe(false);
    expect(processesUsing(pgDirs[0] as string)).toEqual([]);
  }, 180_000);

  it('uses DATABASE_URL and KAFKA_BROKERS when they are set, and starts nothing', () => {
    const env = { DATABASE_URL: 'postgres://someone@db.example:5432/app', KAFKA_BROKERS: 'kafka.example:9092' };
    const r = runCli(['dev', '--', process.execPath, '-e', 'console.log(process.env.DATABASE_URL, process.env.KAFKA_BROKERS)'], work, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('postgres://someone@db.example:5432/app kafka.example:9092\n');
    expect(r.stderr).toContain('PostgreSQL: using DATABASE_URL from the environment');
    expect(r.stderr).toContain('Kafka: using KAFKA_BROKERS from the environment');
    expect(r.stderr).not.toContain('data in');
  });

  it('bad input: a command without --, a command that does not exist', () => {
    const noDashes = runCli(['dev', 'node', 'app.js'], work);
    expect(noDashes.code).toBe(2);
    expect(noDashes.stderr).toBe('eventsmith dev: put the command after --, as in: eventsmith dev -- node app.js\n');
    const env = { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', KAFKA_BROKERS: '127.0.0.1:1' };
    const missing = runCli(['dev', '--', 'no-such-command-eventsmith'], work, env);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('eventsmith dev: cannot run no-such-command-eventsmith: command not found');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('missing java, mvn and PostgreSQL binaries: every one named with what to install, exit 2, nothing started or written', () => {
    const cache = mkdtempSync(path.join(work, 'cache-'));
    const r = runCli(['dev'], work, fresh({ JAVA: '/nonexistent/java', EVENTSMITH_MVN: '/nonexistent/mvn', PG_BINDIR: '/nonexistent/pg', EVENTSMITH_CACHE_DIR: cache }));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^eventsmith dev: cannot start the local services; missing:\n/);
    expect(r.stderr).toContain("  - PostgreSQL's server binaries (initdb, pg_ctl): PG_BINDIR is /nonexistent/pg, which holds no initdb and pg_ctl");
    expect(r.stderr).toContain('apt-get install postgresql');
    expect(r.stderr).toContain('  - java (/nonexistent/java): a Java 17+ runtime runs the local Kafka broker');
    expect(r.stderr).toContain('apt-get install openjdk-17-jre-headless');
    expect(r.stderr).toContain(`  - mvn (/nonexistent/mvn): Apache Maven downloads the broker's jars from Maven Central once, into ${cache}`);
    expect(r.stderr).toContain('apt-get install maven');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(cache)).toEqual([]);
    // With the jars cached, mvn is not needed.
    const jars = path.join(cache, `kafka-${DEFAULT_KAFKA_VERSION}`);
    mkdirSync(path.join(jars, 'libs'), { recursive: true });
    writeFileSync(path.join(jars, 'complete.json'), '{}');
    writeFileSync(path.join(jars, 'libs', `kafka_2.13-${DEFAULT_KAFKA_VERSION}.jar`), '');
    const cached = runCli(['dev'], work, fresh({ JAVA: '/nonexistent/java', EVENTSMITH_MVN: '/nonexistent/mvn', PG_BINDIR: '/nonexistent/pg', EVENTSMITH_CACHE_DIR: cache }));
    expect(cached.code).toBe(2);
    expect(cached.stderr).not.toContain('mvn');
  });
});
