// Names of what a domain's projections.ts declares per projection, shared by the emitter
// (emit/projections.ts) and the claims table (core/claims.ts), which checks them for collisions.
import type { DomainEvent, Projection } from './model.js';

/** Names of what projections.ts exports per projection. */
export const projectionNames = {
  row: (p: Projection) => `${p.name}Row`,
  /** The module-private reader of a result row. */
  fromRow: (p: Projection) => `to${p.name}Row`,
  /** The module-private function that applies one event to the table. */
  apply: (p: Projection) => `apply${p.name}`,
  /** The module-private function computing one event's rule inputs for the set-based runner. */
  inputs: (p: Projection) => `${lowerFirst(p.name)}Inputs`,
  event: (p: Projection) => `${p.name}Event`,
  filter: (p: Projection) => `${p.name}Filter`,
  definition: (p: Projection) => `${lowerFirst(p.name)}Projection`,
  get: (p: Projection) => `get${p.name}`,
  list: (p: Projection) => `list${p.name}Rows`,
  kafkaHandlers: (p: Projection) => `${lowerFirst(p.name)}KafkaHandlers`,
  custom: (p: Projection, e: DomainEvent) => `project${p.name}${e.aggregateName === e.name.slice(0, e.aggregateName.length) ? e.name : `${e.aggregateName}${e.name}`}`,
} as const;

function lowerFirst(s: string): string {
  return s.length === 0 ? s : s[0]?.toLowerCase() + s.slice(1);
}
