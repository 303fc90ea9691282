// What eventsmith keeps in a schema registry: for every event and command version of a model, its
// subject (by the configured naming strategy), its schema text and where it is declared. Pure: the
// CLI (`eventsmith registry push|check|pull`) and the registry emitter both read this list.
import type { Aggregate, CompatibilityMode, Domain, Message, MessageVersion, Model } from '../core/model.js';
import { avroSchemaOf, type AvroRecordSchema } from '../emit/avro-schema.js';
import { stringifySchema } from '../runtime/schema.js';
import { DEFAULT_SUBJECT_NAME_STRATEGY, subjectName, type SubjectNameStrategy } from '../runtime/registry/subjects.js';

export interface StrategyConfig {
  readonly subjectNameStrategy?: SubjectNameStrategy;
  readonly domains?: Readonly<Record<string, { readonly subjectNameStrategy?: SubjectNameStrategy }>>;
  readonly topics?: Readonly<Record<string, { readonly subjectNameStrategy?: SubjectNameStrategy }>>;
}

/** A topic's strategy wins over its domain's, which wins over the configuration's default. */
export function strategyFor(config: StrategyConfig | undefined, domain: string, topic: string): SubjectNameStrategy {
  return config?.topics?.[topic]?.subjectNameStrategy ?? config?.domains?.[domain]?.subjectNameStrategy ?? config?.subjectNameStrategy ?? DEFAULT_SUBJECT_NAME_STRATEGY;
}

export interface SubjectVersion {
  readonly domain: Domain;
  readonly aggregate: Aggregate;
  readonly message: Message;
  readonly version: MessageVersion;
  /** 0-based index into `message.versions`. */
  readonly index: number;
  readonly topic: string;
  readonly strategy: SubjectNameStrategy;
  readonly subject: string;
  /** The subject's compatibility level: the domain's `compatibility`. */
  readonly compatibility: CompatibilityMode;
  readonly schema: AvroRecordSchema;
  /** What is registered: the same text the runtime's resolver sends (`stringifySchema`). */
  readonly text: string;
  /** YAML path of the version, for positions. */
  readonly yamlPath: readonly (string | number)[];
  /** Logical path, as `check` findings name it: `aggregates.Order.events.OrderPlaced.versions[1]`. */
  readonly path: string;
}

/** Every event and command version, each message's versions oldest first (the order that keeps each registration legal). */
export function registryPlan(model: Model, config: StrategyConfig | undefined): SubjectVersion[] {
  const out: SubjectVersion[] = [];
  for (const domain of model.domains) {
    for (const aggregate of domain.aggregates) {
      const messages: [Message, string, 'events' | 'commands'][] = [
        ...aggregate.events.map((e): [Message, string, 'events'] => [e, aggregate.topic, 'events']),
        ...aggregate.commands.map((c): [Message, string, 'commands'] => [c, c.topic, 'commands']),
      ];
      for (const [message, topic, kind] of messages) {
        const strategy = strategyFor(config, domain.name, topic);
        const subject = subjectName(strategy, topic, `${domain.name}.${message.name}`);
        message.versions.forEach((version, index) => {
          const schema = avroSchemaOf(version, message, domain);
          out.push({
            domain, aggregate, message, version, index, topic, strategy, subject,
            compatibility: domain.compatibility,
            schema,
            text: stringifySchema(schema),
            yamlPath: ['aggregates', aggregate.name, kind, message.name, 'versions', index],
            path: `aggregates.${aggregate.name}.${kind}.${message.name}.versions[${index}]`,
          });
        });
      }
    }
  }
  return out;
}
