// A projection runner in a child process, for crash and takeover tests. Arguments: the folder
// of generated JavaScript (importing the built runtime), the database URL, the schema, and the
// number of applied events after which to stop dead in the middle of a batch (0: never). It
// prints `ACTIVE` when it holds the projection's lock, `APPLIED <n>` as it applies, and
// `HANG` when it stops applying (waiting there for the parent's SIGKILL).
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
  apply: async (db, table, e) => {
    await orderSummaryProjection.apply(db, table, e);
    applied++;
    process.stdout.write(`APPLIED ${applied}\n`);
    if (hangAfter > 0 && applied >= hangAfter) {
      process.stdout.write('HANG\n');
      await new Promise(() => undefined);
    }
  },
};
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
