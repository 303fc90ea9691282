// Names testing.ts declares (generated test kits): one table for the emitter and the claims.
import { camelCase } from './names.js';

export const testingNames = {
  decider: (aggregate: string): string => `${camelCase(aggregate)}Decider`,
  reducer: (aggregate: string): string => `${camelCase(aggregate)}Reducer`,
  upcaster: (aggregate: string): string => `${camelCase(aggregate)}Upcaster`,
  sagaKit: (saga: string): string => `${camelCase(saga)}SagaKit`,
  sagaEvents: (saga: string): string => `${saga}SagaEvents`,
  sagaCommands: (saga: string): string => `${saga}SagaCommands`,
} as const;

/** What testing.ts imports by name from eventsmith/testing, and the generated modules it imports by namespace. */
export const testingImports: readonly string[] = [
  'DeciderKit', 'ReducerKit', 'SagaKit', 'SagaKitOptions', 'UpcasterKit', 'deciderKit', 'reducerKit', 'sagaKit', 'upcasterKit',
  'avro', 'deciders', 'reducers', 'sagas', 'types', 'upcasters',
];
