/**
 * UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Event ids are
 * unique keys of the events and outbox tables; ids that grow with time land on the right-most
 * pages of those indexes, where random (v4) ids touch a random page per insert, which stops
 * fitting in memory as the tables grow.
 */
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
// Random bytes fetched in blocks: one call into the CSPRNG per 256 ids, not per id.
const BLOCK = 16 * 256;
const random = Buffer.allocUnsafe(BLOCK);
let offset = BLOCK;

/** A new UUIDv7 in canonical text form (lower-case hex with dashes). */
export function uuidV7(now: number = Date.now()): string {
  if (offset + 10 > BLOCK) {
    randomFillSync(random);
    offset = 0;
  }
  const r = random;
  const o = offset;
  offset += 10;
  const ms = Math.max(0, Math.floor(now));
  const high = Math.floor(ms / 2 ** 16) % 2 ** 32; // the top 32 of the 48 time bits
  const low = ms % 2 ** 16;
  const h = (n: number): string => HEX[n] as string;
  return (
    h((high >>> 24) & 0xff) + h((high >>> 16) & 0xff) + h((high >>> 8) & 0xff) + h(high & 0xff) + '-' +
    h(low >>> 8) + h(low & 0xff) + '-' +
    h(0x70 | ((r[o] as number) & 0x0f)) + h(r[o + 1] as number) + '-' +
    h(0x80 | ((r[o + 2] as number) & 0x3f)) + h(r[o + 3] as number) + '-' +
    h(r[o + 4] as number) + h(r[o + 5] as number) + h(r[o + 6] as number) + h(r[o + 7] as number) + h(r[o + 8] as number) + h(r[o + 9] as number)
  );
}
