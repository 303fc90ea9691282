import type { Emitter } from './context.js';
import { emitAvro } from './avro.js';
import { emitDebezium } from './debezium.js';
import { emitDeciders } from './deciders.js';
import { emitDocs } from './docs.js';
import { emitEnvelopes } from './envelopes.js';
import { emitKafka } from './kafka.js';
import { emitProjections } from './projections.js';
import { emitRegistry } from './registry.js';
import { emitReducers } from './reducers.js';
import { emitRepository } from './repository.js';
import { emitSagas } from './sagas.js';
import { emitSql } from './sql.js';
import { emitTesting } from './testing.js';
import { emitTypes } from './types.js';
import { emitUpcasters } from './upcasters.js';

/** Every artifact kind, in a fixed order; each is independent of the others' output. */
export const emitters: readonly { readonly kind: string; readonly emit: Emitter }[] = [
  { kind: 'types', emit: emitTypes },
  { kind: 'envelopes', emit: emitEnvelopes },
  { kind: 'avro', emit: emitAvro },
  { kind: 'upcasters', emit: emitUpcasters },
  { kind: 'reducers', emit: emitReducers },
  { kind: 'deciders', emit: emitDeciders },
  { kind: 'sql', emit: emitSql },
  { kind: 'repository', emit: emitRepository },
  { kind: 'kafka', emit: emitKafka },
  { kind: 'registry', emit: emitRegistry },
  { kind: 'debezium', emit: emitDebezium },
  { kind: 'sagas', emit: emitSagas },
  { kind: 'projections', emit: emitProjections },
  { kind: 'testing', emit: emitTesting },
  { kind: 'docs', emit: emitDocs },
];
