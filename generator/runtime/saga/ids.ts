/**
 * Command ids derived from what they are (RFC 9562 version 5, SHA-1 name-based): the same saga,
 * start event, phase, step and round always give the same id. A transition recomputed after a
 * crash or a concurrency conflict thus sends the very message it would have sent, and the outbox
 * primary key refuses a second copy of any send.
 */
import { createHash } from 'node:crypto';

/** The namespace of eventsmith saga ids (a random v4 uuid, fixed forever). */
const NAMESPACE = Buffer.from('5b0f6e3c1d2a4c7e9f8a0b1c2d3e4f50', 'hex');

export function nameUuid(parts: readonly (string | number)[]): string {
  // Lengths make the encoding unambiguous whatever the parts contain.
  const name = parts.map((p) => `${String(p).length}:${String(p)}`).join('|');
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
