// Names in `<slug>/repository.ts`. Kept beside names.ts, in its style, so the emitter never
// concatenates names itself; the resolver claims the type names against the domain's others.
import { camelCase } from './names.js';

/** Factory of an aggregate's repository over a pool: `orderRepository`. */
export function repositoryFactoryName(aggregate: string): string {
  return `${camelCase(aggregate)}Repository`;
}

/** Type of an aggregate's repository: `OrderRepository`. */
export function repositoryTypeName(aggregate: string): string {
  return `${aggregate}Repository`;
}

/** What an aggregate's repository appends: events at their latest version or their envelopes: `OrderEventInput`. */
export function eventInputTypeName(aggregate: string): string {
  return `${aggregate}EventInput`;
}

/** Avro schema of an aggregate's state, the encoding of its snapshots: `orderStateSchema`. */
export function stateSchemaConstName(aggregate: string): string {
  return `${camelCase(aggregate)}StateSchema`;
}

/** Avro codec of an aggregate's state: `orderStateCodec`. */
export function stateCodecName(aggregate: string): string {
  return `${camelCase(aggregate)}StateCodec`;
}

/** Runtime symbols `repository.ts` imports by value; no derived value name may take them. */
export const repositoryRuntimeValues: readonly string[] = ['createCodec', 'createRepository'];
