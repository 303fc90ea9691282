/**
 * Attribute names of the OpenTelemetry messaging semantic conventions (v1.30, Kafka) and of the
 * CloudEvents conventions, built in one place so spans and metrics agree.
 */
import type { Attributes } from '@opentelemetry/api';

/** The operation types of the messaging conventions (`send` was called `publish` before v1.28). */
export type MessagingOperation = 'create' | 'send' | 'receive' | 'process';

export interface MessagingDetails {
  /** The Kafka key (the aggregate id). */
  readonly key?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly group?: string;
  /** Messages in a batch operation. */
  readonly count?: number;
  readonly messageId?: string;
  readonly eventType?: string;
  /** The aggregate (Debezium's aggregatetype) of a create. */
  readonly aggregate?: string;
}

export function messagingAttributes(operation: MessagingOperation, destination: string, d: MessagingDetails = {}): Attributes {
  const a: Attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': destination,
  };
  if (d.key !== undefined) a['messaging.kafka.message.key'] = d.key;
  if (d.partition !== undefined) a['messaging.destination.partition.id'] = String(d.partition);
  if (d.offset !== undefined) a['messaging.kafka.offset'] = Number(d.offset);
  if (d.group !== undefined) a['messaging.consumer.group.name'] = d.group;
  if (d.count !== undefined && d.count !== 1) a['messaging.batch.message_count'] = d.count;
  if (d.messageId !== undefined) {
    a['messaging.message.id'] = d.messageId;
    a['cloudevents.event_id'] = d.messageId;
  }
  if (d.eventType !== undefined) a['cloudevents.event_type'] = d.eventType;
  if (d.aggregate !== undefined) a['eventsmith.aggregate'] = d.aggregate;
  return a;
}
