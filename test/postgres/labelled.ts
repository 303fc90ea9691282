// The outbox tests' events: each carries a label in its data and as its outbox row's ce_subject,
// so a test reads back which rows a reader returned, in what order.
import { randomUUID } from 'node:crypto';
import type { NewEvent, OutboxMessageRecord } from '../../generator/runtime/postgres/index.js';

export function event(label: string): NewEvent {
  const data = new TextEncoder().encode(JSON.stringify({ label }));
  return { eventId: randomUUID(), eventType: 'Labelled', schemaVersion: 1, data, contentType: 'application/json', outbox: { topic: 'labels', payload: data, headers: { ce_subject: label } } };
}

export function labelOf(r: Pick<OutboxMessageRecord, 'headers'>): string {
  return r.headers.ce_subject ?? '?';
}
