// Names in `<slug>/sagas.ts`, shared by its emitter and the resolver, which claims them
// (resolve/saga-names.ts) so that none shadows another at module scope.
import { camelCase, pascalCase } from './names.js';

export const sagaNames = {
  contextType: (saga: string): string => `${saga}Context`,
  stepsType: (saga: string): string => `${saga}StepEvents`,
  definition: (saga: string): string => `${camelCase(saga)}Saga`,
  createEngine: (saga: string): string => `create${saga}Engine`,
  handlers: (saga: string): string => `${camelCase(saga)}Handlers`,
  target: (command: string): string => `${camelCase(command)}Target`,
  /** A `data: custom` hook in custom/sagas.ts: `placeOrderReserveStockData`, `placeOrderOnCompletedData`. */
  customData: (owner: string, part: string): string => `${camelCase(owner)}${pascalCase(part)}Data`,
  reactionHandlers: 'reactionHandlers',
  createCommandConsumer: 'createCommandConsumer',
  commandTopics: 'commandTopics',
  commandsType: 'DomainCommands',
  repositoriesType: 'CommandRepositories',
} as const;

/** Every other name at the module scope of sagas.ts: runtime imports, namespaces, fixed declarations. */
export const sagasModuleNames: readonly string[] = [
  'CloudEvent', 'CommandTarget', 'DomainConsumerOptions', 'KafkaConsumerRunner', 'SagaContext', 'SagaEngine', 'SagaEngineOptions',
  'aggregateDecoding', 'commandConsumer', 'commandHandlers', 'listElement', 'orchestration', 'reactionHandler', 'sagaCommand', 'stepEvent',
  'avro', 'custom', 'deciders', 'kafka', 'repository', 'types', 'upcasters',
  sagaNames.reactionHandlers, sagaNames.createCommandConsumer, sagaNames.commandTopics, sagaNames.commandsType, sagaNames.repositoriesType,
];
