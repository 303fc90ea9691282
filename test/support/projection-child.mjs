// A projection runner in a child process, for crash and takeover tests. Arguments: the folder
// of generated JavaScript (importing the built runtime), the database URL, the schema, and the
// number of applied events after which to stop dead in the middle of a batch (0: never). It
// prints `ACTIVE` when it holds the projection's lock, `APPLIED <n>` as it folds events into the
// batch, and `HANG` when it stops: after the batch's table writes and checkpoint, before its
// COMMIT (waiting there for the parent's SIGKILL).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const [dir, url, schema, hangAfterText, batchText] = process.argv.slice(2);
const hangAfter = Number(hangAfterText ?? '0');
const runtime = await import(pathToFileURL(path.join(dir, 'runtime.js')).href);
const { orderSummaryProjection } = await import(pathToFileURL(path.join(dir, 'orders/projections.js')).href);
const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 2 });
let applied = 0;
const definition = {
  ...orderSummaryProjection,
  batch: {
    ...orderSummaryProjection.batch,
    inputs: (e) => {
      applied++;
      process.stdout.write(`APPLIED ${applied}\n`);
      return orderSummaryProjection.batch.inputs(e);
    },
  },
};
pool.on('connect', (client) => {
  const query = client.query.bind(client);
  client.query = (...args) => {
    if (hangAfter > 0 && applied >= hangAfter && typeof args[0] === 'string' && args[0] === 'COMMIT') {
      process.stdout.write('HANG\n');
      return new Promise(() => undefined);
    }
    return query(...args);
  };
});
let announced = false;
const runner = runtime.startProjectionRunner(pool, definition, {
  batchSize: Number(batchText ?? '10'),
  idleMillis: 50,
  logger: runtime.silentLogger,
});
setInterval(() => {
  if (!announced && runner.status().active) {
    announced = true;
    process.stdout.write('ACTIVE\n');
  }
}, 20);
