// Names testing.ts declares per aggregate and saga, shared by the emitter (emit/testing.ts) and
// the claims table (core/claims.ts), which checks them for collisions in testing.ts's scope.
import { camelCase } from './names.js';

export const testingNames = {
  decider: (aggregate: string): string => `${camelCase(aggregate)}Decider`,
  reducer: (aggregate: string): string => `${camelCase(aggregate)}Reducer`,
  upcaster: (aggregate: string): string => `${camelCase(aggregate)}Upcaster`,
  sagaKit: (saga: string): string => `${camelCase(saga)}SagaKit`,
  sagaEvents: (saga: string): string => `${saga}SagaEvents`,
  sagaCommands: (saga: string): string => `${saga}SagaCommands`,
} as const;
