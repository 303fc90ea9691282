#!/usr/bin/env node
// The example, end to end: `npm run example -- --orders 200 --failure-rate 0.2` builds the package,
// generates the example's code, then runs this script, which
//   1. compiles the service (tsc -p generated-example → generated-example/dist/),
//   2. starts PostgreSQL and Kafka with the project's scripts (unless DATABASE_URL / KAFKA_BROKERS),
//   3. starts the service (generated-example/dist/service/main.js serve) on a free port,
//   4. drives N orders through its HTTP API and waits until every one is final,
//   5. rebuilds the read model from the event store (main.js rebuild) and compares,
//   6. prints the summary, where the latency went per hop (from the database's own timestamps),
//      then the distributed trace of one compensated order as a waterfall (OpenTelemetry spans
//      the service kept in memory), and exits 0 when every check passed.
//
// Plain JavaScript: Node 20 runs it as it is, on a fresh clone after `npm install`.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { startKafka } from '../../generator/dev/kafka.mjs';
import { startPostgres } from '../../generator/dev/postgres.mjs';
import { postmasterPid, startCpuMeasurement } from '../../generator/dev/process-cpu.mjs';
import { createProgress } from '../../generator/dev/progress.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const exampleDir = path.join(root, 'generated-example');
const distDir = path.join(exampleDir, 'dist', 'service');

const USAGE = `usage: npm run example -- [options]
       node generated-example/scripts/run-example.mjs [options]
  --orders N            orders to place (default 200)
  --failure-rate F      share designed to fail, half out of stock, half payment declined (default 0.2)
  --legacy-rate F       share placed through the v1 API, stored as OrderPlaced v1 (default 0.1)
  --concurrency N       HTTP requests in flight (default 16)
  --rate N              place N orders per second (open loop; default: as fast as they are accepted)
  --seed N              seed of the order mix (default 42)
  --timeout S           seconds for every order to become final (default 120)
  --json FILE           also write the summary as JSON
  --no-compile          use generated-example/dist as it is
DATABASE_URL and KAFKA_BROKERS, when set, are used instead of starting PostgreSQL and Kafka.
OTEL_SDK_DISABLED=true runs the service without OpenTelemetry (no trace is printed).`;

class UsageError extends Error {}

function parseArgs(argv) {
  const o = { orders: 200, failureRate: 0.2, legacyRate: 0.1, concurrency: 16, rate: 0, seed: 42, timeoutMs: 120_000, json: undefined, compile: true };
  const number = (name, v, check) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || !check(n)) throw new UsageError(`${name}: invalid value ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--orders': o.orders = number(flag, value(), (n) => Number.isInteger(n) && n >= 1 && n <= 100_000); break;
      case '--failure-rate': o.failureRate = number(flag, value(), (n) => n >= 0 && n <= 1); break;
      case '--legacy-rate': o.legacyRate = number(flag, value(), (n) => n >= 0 && n <= 1); break;
      case '--concurrency': o.concurrency = number(flag, value(), (n) => Number.isInteger(n) && n >= 1 && n <= 256); break;
      case '--rate': o.rate = number(flag, value(), (n) => n > 0 && n <= 100_000); break;
      case '--seed': o.seed = number(flag, value(), (n) => Number.isInteger(n)); break;
      case '--timeout': o.timeoutMs = number(flag, value(), (n) => n > 0) * 1000; break;
      case '--json': o.json = value(); if (!o.json) throw new UsageError('--json: a file name is needed'); break;
      case '--no-compile': o.compile = false; break;
      case '-h': case '--help': return undefined;
      default: throw new UsageError(`unknown option ${a}`);
    }
  }
  return o;
}

// On a terminal, the steps still running and their time on one line below these.
const bar = createProgress();
const progress = (line) => bar.line(`example: ${line}`);

function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code: code ?? 128, signal, stdout, stderr }));
  });
}

async function compile() {
  const r = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', exampleDir]);
  if (r.code !== 0) throw new Error(`compiling the example service failed:\n${r.stdout}${r.stderr}`);
}

/** Starts `main.js serve`; resolves with its URL once it listens. Its log goes to our stderr. */
function startServiceProcess(env) {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(distDir, 'main.js'), 'serve'], {
    cwd: root,
    env: { ...env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`  service | ${line}\n`));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the service did not start within 90 s')), 90_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const msg = JSON.parse(line);
        if (typeof msg.listening === 'string') {
          clearTimeout(timer);
          resolve(msg.listening);
        }
      } catch {
        process.stderr.write(`  service | ${line}\n`);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the service exited while starting (${signal ?? `code ${code}`})`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return { listening, stop, exited, pid: child.pid };
}

/** The spans of one compensated order (payment declined if there is one: it shows a compensation). */
async function fetchTrace(baseUrl, outcomes) {
  const pick =
    outcomes.find((o) => o.design === 'payment-declined' && o.sagaStatus === 'compensated') ?? outcomes.find((o) => o.sagaStatus === 'compensated');
  if (pick === undefined) return undefined;
  const res = await fetch(`${baseUrl}/traces/${pick.orderId}`);
  if (!res.ok) throw new Error(`GET /traces/${pick.orderId}: HTTP ${res.status}`);
  const { spans } = await res.json();
  return { orderId: pick.orderId, design: pick.design, sagaStatus: pick.sagaStatus, spans };
}

/**
 * Where the time between an order's hops went, from timestamps the runtime writes anyway (each
 * is its transaction's start, now()): an outbox row's created_at (the writing transaction),
 * its published_at (the relay's step that sent it) and, per consumer group, the processed_at of
 * its id (the consumer's transaction that applied it). So `relay` is the writer's transaction,
 * the gap-free reader's wait for older transactions and the relay's wake-up; `delivery` is the
 * relay's send and commit, Kafka, and the consumer's fetch and turn. Rows of this run only.
 */
async function measureHops(databaseUrl, since, groupPrefix) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const ms = (expr) =>
      `round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ${expr}) * 1000))::numeric) AS p50,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM ${expr}) * 1000))::numeric) AS p95`;
    const { rows } = await client.query(
      `WITH o AS (SELECT id::text AS id, created_at, published_at FROM eventsmith_outbox WHERE created_at >= $1 AND published_at IS NOT NULL)
       SELECT 'relay' AS hop, '' AS consumer_group, count(*)::int AS n, ${ms('o.published_at - o.created_at')} FROM o
       UNION ALL
       SELECT 'delivery', p.consumer_group, count(*)::int, ${ms('p.processed_at - o.published_at')}
         FROM o JOIN eventsmith_processed_events p ON p.event_id = o.id GROUP BY p.consumer_group
       ORDER BY 1 DESC, 2`,
      [since],
    );
    return rows.map((r) => ({
      hop: r.hop,
      ...(r.consumer_group ? { consumer: r.consumer_group.replace(`${groupPrefix}.`, ''), consumerGroup: r.consumer_group } : {}),
      messages: r.n,
      p50: Number(r.p50),
      p95: Number(r.p95),
    }));
  } finally {
    await client.end();
  }
}

/**
 * `cpu per order service 8.1 ms (main thread 4.6 ms, 3.1 ms waiting for a core), broker 4.4 ms, …
 * 1.25 of 2 cores busy`, or nothing without readings. The service's main thread is the one that
 * runs its JavaScript; the rest of its CPU is V8's compiler and GC threads.
 */
function formatCpu(cpu, orders) {
  const entries = Object.entries(cpu?.seconds ?? {});
  if (cpu === undefined || entries.length === 0 || cpu.wallSeconds <= 0) return '';
  const ms = (s) => `${((s * 1000) / orders).toFixed(1)} ms`;
  const main = (name) => {
    const t = cpu.mainThread?.[name];
    return t === undefined ? '' : ` (main thread ${ms(t.run)}, ${ms(t.wait)} waiting for a core)`;
  };
  const per = entries.map(([name, s]) => `${name} ${ms(s)}${main(name)}`).join(', ');
  const busy = entries.reduce((n, [, s]) => n + s, 0) / cpu.wallSeconds;
  return `cpu per order ${per} (placing → all final, ${cpu.wallSeconds.toFixed(1)} s: ${busy.toFixed(2)} of ${os.availableParallelism()} cores busy)\n`;
}

function formatHops(hops) {
  const text = (h) => `${h.p50} ms (p95 ${h.p95})`;
  const relay = hops.find((h) => h.hop === 'relay');
  const deliveries = hops.filter((h) => h.hop === 'delivery').map((h) => `${h.consumer} ${text(h)}`);
  return `hops p50      outbox row → relay ${relay ? text(relay) : '-'}; relay → consumer: ${deliveries.join(', ')}\n`;
}

/** The metric families GET /metrics serves in the Prometheus text format (`# TYPE <name> <type>` lines). */
async function fetchPrometheusFamilies(baseUrl) {
  const res = await fetch(`${baseUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  const text = await res.text();
  return [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name, type }));
}

async function main(argv) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`example: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const t0 = Date.now();
  const phases = {};
  const timed = async (name, work, label) => {
    const started = Date.now();
    const step = label === undefined ? undefined : bar.step(label);
    try {
      return await work();
    } finally {
      step?.done();
      phases[name] = Date.now() - started;
    }
  };
  const cleanups = [];
  let service;
  try {
    progress(`${options.orders} orders, failure rate ${options.failureRate}; starting PostgreSQL and Kafka${options.compile ? ', compiling the service' : ''}`);
    const [pgCluster, broker] = await Promise.all([
      timed('postgres', () => startPostgres(), 'PostgreSQL'),
      timed('kafka', () => startKafka({ log: (line) => bar.line(line) }), 'Kafka (the first run downloads its jars with mvn)'),
      options.compile ? timed('compile', compile, 'compiling the service') : Promise.resolve(),
    ]);
    cleanups.push(() => pgCluster.stop(), () => broker.stop());
    progress(
      `PostgreSQL ${pgCluster.external ? '(DATABASE_URL)' : `on port ${pgCluster.port}`}, Kafka ${broker.external ? '(KAFKA_BROKERS)' : broker.brokers.join(',')} ` +
        `ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    const env = { ...process.env, DATABASE_URL: pgCluster.url, KAFKA_BROKERS: broker.brokers.join(',') };
    service = startServiceProcess(env);
    const url = await timed('service', () => service.listening);
    progress(`service at ${url}; placing orders`);

    const { runLoad } = await import(pathToFileURL(path.join(distDir, 'load-driver.js')).href);
    // The database's clock: the hops are read from its timestamps.
    const since = await (async () => {
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        return (await client.query('SELECT now() AS now')).rows[0].now;
      } finally {
        await client.end();
      }
    })();
    // Where the CPU went between the first order and the last one final, per process (Linux).
    let cpuMeasurement;
    let cpu;
    const cpuProcesses = {
      service: { pid: service.pid, mainThread: true },
      broker: { pid: broker.pid },
      database: { pid: pgCluster.baseDir ? postmasterPid(path.join(pgCluster.baseDir, 'data')) : undefined, children: true },
      driver: { self: true },
    };
    const load = await timed('load', () =>
      runLoad({
        onPhase: (phase) => {
          if (phase === 'placing') cpuMeasurement = startCpuMeasurement(cpuProcesses);
          else cpu = cpuMeasurement?.stop();
        },
        baseUrl: url,
        orders: options.orders,
        failureRate: options.failureRate,
        legacyRate: options.legacyRate,
        concurrency: options.concurrency,
        rate: options.rate,
        seed: options.seed,
        timeoutMs: options.timeoutMs,
        log: progress,
      }),
    );

    const hops = await timed('hops', () => measureHops(env.DATABASE_URL, since, env.ORDER_SERVICE_GROUP_PREFIX || 'order-service'));

    // The distributed trace of one compensated order, from the service's in-memory spans (none
    // when the service runs with OTEL_SDK_DISABLED=true, as when measuring what tracing costs).
    const tracing = (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() !== 'true';
    const traced = tracing ? await timed('trace', () => fetchTrace(url, load.outcomes)) : undefined;
    const prometheusFamilies = await fetchPrometheusFamilies(url);

    // The rebuild command, as an operator would run it (it exits 1 when the models differ).
    const rebuilt = await timed('rebuild', async () => {
      const r = await run(process.execPath, [path.join(distDir, 'main.js'), 'rebuild', '--json'], { env });
      const line = r.stdout.trim().split('\n').at(-1) ?? '';
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`the rebuild command failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
      }
    });

    const { summarize, formatSummary } = await import(pathToFileURL(path.join(distDir, 'report.js')).href);
    const summary = summarize(load, rebuilt);
    phases.total = Date.now() - t0;
    const phaseText = Object.entries(phases)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ');
    process.stdout.write(`\neventsmith example: ${options.orders} orders${options.rate > 0 ? ` placed at ${options.rate}/s` : ''}, failure rate ${options.failureRate}\n${formatSummary(summary)}${formatHops(hops)}${formatCpu(cpu, options.orders)}phases: ${phaseText}\n`);
    if (!tracing) process.stdout.write('\nno trace: the service ran with OTEL_SDK_DISABLED=true\n');
    if (traced !== undefined) {
      const { formatWaterfall } = await import(pathToFileURL(path.join(distDir, 'waterfall.js')).href);
      const title = `\nthe trace of order ${traced.orderId} (${traced.design}, saga ${traced.sagaStatus})`;
      process.stdout.write(formatWaterfall(title, traced.spans, env.ORDER_SERVICE_GROUP_PREFIX || 'order-service'));
    }
    if (options.json) {
      mkdirSync(path.dirname(path.resolve(options.json)), { recursive: true });
      writeFileSync(options.json, `${JSON.stringify({ summary, phases, hops, cpu: cpu ?? null, outcomes: load.outcomes, trace: traced ?? null, prometheusFamilies }, null, 2)}\n`);
    }
    return summary.ok ? 0 : 1;
  } finally {
    const stopped = await service?.stop();
    if (stopped && stopped.code !== 0) progress(`the service exited with ${stopped.signal ?? `code ${stopped.code}`}`);
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => progress(`cleanup: ${err.message}`));
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`example: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
