/**
 * Subject names, with Confluent's strategies and semantics (io.confluent.kafka.serializers.subject):
 * - TopicNameStrategy: `<topic>-value` — one schema lineage per topic (a single event type, or a union);
 * - RecordNameStrategy: `<record fullname>` — one lineage per event type, whatever its topic;
 * - TopicRecordNameStrategy: `<topic>-<record fullname>` — one per event type and topic.
 * An aggregate's topic carries several event types, so eventsmith's default is TopicRecordNameStrategy.
 */
export type SubjectNameStrategy = 'TopicNameStrategy' | 'RecordNameStrategy' | 'TopicRecordNameStrategy';

export const SUBJECT_NAME_STRATEGIES: readonly SubjectNameStrategy[] = ['TopicNameStrategy', 'RecordNameStrategy', 'TopicRecordNameStrategy'];
export const DEFAULT_SUBJECT_NAME_STRATEGY: SubjectNameStrategy = 'TopicRecordNameStrategy';

export function isSubjectNameStrategy(value: unknown): value is SubjectNameStrategy {
  return typeof value === 'string' && (SUBJECT_NAME_STRATEGIES as readonly string[]).includes(value);
}

/** The subject of a value on `topic` whose Avro record is `recordFullName`. */
export function subjectName(strategy: SubjectNameStrategy, topic: string, recordFullName: string): string {
  switch (strategy) {
    case 'TopicNameStrategy': return `${topic}-value`;
    case 'RecordNameStrategy': return recordFullName;
    case 'TopicRecordNameStrategy': return `${topic}-${recordFullName}`;
  }
}
