// Reading a spec or configuration file with a size bound checked while reading: a file that
// reports no size (/dev/zero, a FIFO, /proc files) would otherwise be read until memory runs
// out. Past the bound the caller gets `limit + 1` bytes, enough for load to report ES1011.
import { open } from 'node:fs/promises';
import { loadLimits } from '../load/index.js';

export async function readBounded(file: string, limit: number = loadLimits.maxBytes): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= limit) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
