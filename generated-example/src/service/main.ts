// The service's command line (after `tsc -p generated-example`):
//
//   node generated-example/dist/service/main.js serve              HTTP API, relay, consumers, sagas
//   node generated-example/dist/service/main.js rebuild [--json]   replay the event store into
//        order_summaries_rebuild and compare it with the live order_summaries; exit 1 if they differ
//
// Settings come from the environment: DATABASE_URL, KAFKA_BROKERS (serve), PORT (0 = any), HOST,
// ORDER_SERVICE_GROUP_PREFIX, ORDER_SERVICE_PARTITIONS, ORDER_SERVICE_POOL_SIZE, ORDER_SERVICE_KAFKA_LOG,
// OTEL_SDK_DISABLED (true: no OpenTelemetry traces or metrics).
import pg from 'pg';
import { configFromEnv } from './config.js';
import { compareReadModels, rebuildReadModel } from './read-model.js';
import { startService } from './service.js';
import { startTelemetry } from './telemetry.js';

const USAGE = `usage: main.js serve | rebuild [--json]`;

async function serve(): Promise<number> {
  const config = configFromEnv();
  // First: the runtime's components take their meters when they are constructed.
  const telemetry = config.telemetry ? startTelemetry('order-service') : undefined;
  const service = await startService(config, telemetry);
  // One line on stdout, for whoever started us (scripts/run-example.mjs reads it).
  process.stdout.write(`${JSON.stringify({ listening: service.url })}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write(`order-service: ${signal}: stopping\n`);
  await service.stop();
  await telemetry?.shutdown();
  return 0;
}

async function rebuild(json: boolean): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (url === undefined || url === '') throw new Error('order-service: DATABASE_URL is not set');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const result = await rebuildReadModel(pool);
    const comparison = await compareReadModels(pool);
    if (json) {
      process.stdout.write(`${JSON.stringify({ rebuild: result, comparison })}\n`);
    } else {
      process.stdout.write(
        `rebuilt ${result.table}: ${result.orders} orders from ${result.orderEvents} Order events (${result.eventsRead} events read) in ${result.millis} ms\n` +
          (comparison.identical
            ? `identical to order_summaries (${comparison.liveRows} rows)\n`
            : `order_summaries differs in ${comparison.differences} orders (live ${comparison.liveRows} rows, rebuilt ${comparison.rebuiltRows}):\n` +
              comparison.examples.map((d) => `  ${d.orderId}: ${d.kind}${d.columns.length > 0 ? ` (${d.columns.join(', ')})` : ''}\n`).join('')),
      );
    }
    return comparison.identical ? 0 : 1;
  } finally {
    await pool.end();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'serve') return serve();
  if (command === 'rebuild') return rebuild(rest.includes('--json'));
  process.stderr.write(`${USAGE}\n`);
  return command === undefined || command === '--help' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`order-service: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    // Client libraries may hold timers or sockets open after a failed start: exit regardless.
    process.exit(1);
  },
);
