// The child processes of the cluster tests run the built package (dist/): build it once, unless
// `npm test` did just before (EVENTSMITH_SKIP_BUILD=1).
import path from 'node:path';
import { buildPackage } from '../support/build.js';

export default async function setup(): Promise<void> {
  if (process.env.EVENTSMITH_SKIP_BUILD === '1') return;
  await buildPackage(path.join(import.meta.dirname, '..', '..'));
}
