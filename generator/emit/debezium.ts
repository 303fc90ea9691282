// The Debezium artifact of one domain:
//   <slug>/debezium/outbox-connector.json   a Kafka Connect connector (POST it to /connectors) that
//                                           publishes the outbox with Debezium instead of the relay
// The records it produces are the relay's (runtime/kafka/outbox-message.ts) byte for byte in key,
// value and CloudEvents headers, so the same generated consumers read either:
//   topic     the row's `topic` column, as the relay sends it (EventRouter routes by it verbatim)
//   key       `aggregateid` as a string; value: `payload` unchanged (ByteArrayConverter)
//   headers   `content_type` as `content-type`; the `headers` JSON column expanded into `ce_*`
//             headers by the OutboxHeaders SMT (generator/dev/debezium/OutboxHeaders.java), since
//             the EventRouter can only copy a column into one header, not a JSON object into many
// One connector per domain: rows of other domains' topics are dropped by a Filter, so domains
// sharing one database each deploy their own connector (own slot) and no row goes out twice.
// Connection settings are `${env:PG*}` references resolved by the worker's EnvVarConfigProvider.
import { stableJson, type GeneratedFile } from '../core/generated-file.js';
import type { Domain } from '../core/model.js';
import { domainSlug } from '../core/names.js';
import type { Emitter } from './context.js';

/** The SMT class that expands the `headers` column; its source ships in generator/dev/debezium/. */
export const OUTBOX_HEADERS_SMT = 'dev.eventsmith.debezium.OutboxHeaders';
/** The Kafka header the EventRouter writes the `headers` column into, for OutboxHeaders to expand. */
export const HEADERS_COLUMN_HEADER = 'eventsmith-headers';

export const emitDebezium: Emitter = (ctx) =>
  ctx.model.domains.map((domain): GeneratedFile => ({
    path: `${domainSlug(domain.name)}/debezium/outbox-connector.json`,
    content: stableJson(outboxConnector(domain)),
  }));

/** Every topic the domain's outbox rows go to: event topics, and command topics of aggregates with commands. */
export function domainTopics(domain: Domain): string[] {
  const topics = new Set<string>();
  for (const a of domain.aggregates) {
    topics.add(a.topic);
    if (a.commands.length > 0) topics.add(a.commandTopic);
  }
  return [...topics].sort();
}

/** Topic names are `[a-zA-Z0-9._-]` (the DSL's schema): only the dot means something in a regex. */
function regexQuote(topic: string): string {
  return topic.replaceAll('.', '\\.');
}

export interface ConnectorConfig {
  readonly name: string;
  readonly config: Readonly<Record<string, string>>;
}

export function outboxConnector(domain: Domain): ConnectorConfig {
  const slug = domainSlug(domain.name);
  return {
    name: `eventsmith-${slug}-outbox`,
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      // One task: a replication slot has one reader, and order per aggregate is WAL (commit) order.
      'tasks.max': '1',
      'database.hostname': '${env:PGHOST}',
      'database.port': '${env:PGPORT}',
      'database.user': '${env:PGUSER}',
      'database.password': '${env:PGPASSWORD}',
      'database.dbname': '${env:PGDATABASE}',
      'plugin.name': 'pgoutput',
      'slot.name': `eventsmith_${slug}`,
      'publication.name': `eventsmith_${slug}`,
      'publication.autocreate.mode': 'filtered',
      'table.include.list': 'public.eventsmith_outbox',
      'topic.prefix': `eventsmith-${slug}`,
      // Rows written before the slot existed belong to the relay being replaced (README: switching).
      'snapshot.mode': 'no_data',
      // Pruning deletes rows (runtime/postgres/outbox-prune.ts); deletes are not messages.
      'tombstones.on.delete': 'false',
      // Debezium 3's __debezium.context.* headers: the relay sends no such headers.
      'extended.headers.enabled': 'false',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
      'header.converter': 'org.apache.kafka.connect.storage.StringConverter',
      transforms: 'outbox,headers,domain',
      'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
      'transforms.outbox.table.field.event.id': 'id',
      'transforms.outbox.table.field.event.key': 'aggregateid',
      'transforms.outbox.table.field.event.payload': 'payload',
      'transforms.outbox.table.fields.additional.placement': `content_type:header:content-type,headers:header:${HEADERS_COLUMN_HEADER}`,
      'transforms.outbox.route.by.field': 'topic',
      'transforms.outbox.route.topic.replacement': '${routedByValue}',
      'transforms.outbox.route.tombstone.on.empty.payload': 'true',
      'transforms.headers.type': OUTBOX_HEADERS_SMT,
      'transforms.headers.header': HEADERS_COLUMN_HEADER,
      'transforms.domain.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.domain.predicate': 'ownTopics',
      // Filter drops what its predicate matches: negated, everything but this domain's topics.
      'transforms.domain.negate': 'true',
      predicates: 'ownTopics',
      'predicates.ownTopics.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
      'predicates.ownTopics.pattern': domainTopics(domain).map(regexQuote).join('|'),
    },
  };
}
