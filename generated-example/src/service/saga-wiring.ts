// Everything that takes a placed order to `confirmed` or `cancelled` — the PlaceOrder saga of
// events/orders.yaml — lives behind this one module; the rest of the service (HTTP API, read
// model, metrics, load driver) only sees SagaWiring.
//
// The runtime's saga engine (eventsmith/runtime: SagaEngine, SagaTimeoutPoller, commandHandler)
// runs the saga, as the contract of issue 6 describes it:
//
//   OrderPlaced ─▶ orchestrator ─ReserveStock─▶ inventory.commands ─▶ Inventory ─▶ StockReserved
//       ─▶ orchestrator ─CapturePayment─▶ payments.commands ─▶ Payment ─▶ PaymentCaptured
//       ─▶ orchestrator ─ConfirmOrder─▶ orders.commands ─▶ Order ─▶ OrderConfirmed
//   StockReservationFailed ─▶ CancelOrder;  PaymentDeclined ─▶ ReleaseStock ─▶ StockReleased ─▶ CancelOrder
//
// - orchestrator: a consumer (the generated createEventConsumer) of the event topics whose
//   handlers are the engine; each transition (saga row + outbox rows of its commands) commits with
//   the consumer's processed mark;
// - command handlers: a consumer of the command topics; each command is decided on its target
//   aggregate (deciders delegate to rules.ts) and the events appended in the same transaction;
// - the timeout poller fires stored deadlines (resends, compensation after a timeout).
//
// The topics it needs besides the domain's event topics (the command topics) are in `topics`;
// the service creates them with the others before start().
//
// All of it is generated (generated/orders/sagas.ts, from the saga and the commands in
// events/orders.yaml) but the deciders (eventsmith/orders/deciders.ts, calling rules.ts)
// and the reason a cancellation gives (eventsmith/orders/sagas.ts).
import type { Kafka } from 'kafkajs';
import {
  type ConnectionPool,
  type ConsumerLag,
  type ConsumerMetrics,
  type KafkaPublisher,
  type Logger,
  type Queryable,
  type SagaStatus,
  SagaTimeoutPoller,
  countSagas,
} from 'eventsmith/runtime';
import { createEventConsumer } from '../generated/orders/kafka.js';
import { inventoryRepository, orderRepository, paymentRepository } from '../generated/orders/repository.js';
import { commandTopics, createCommandConsumer, createPlaceOrderEngine, placeOrderHandlers, placeOrderSaga } from '../generated/orders/sagas.js';

/** A consumer of the service, for metrics and shutdown. */
export interface NamedConsumer {
  readonly name: string;
  readonly groupId: string;
  metrics(): ConsumerMetrics;
  lag(): Promise<ConsumerLag>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SagaView {
  readonly saga: 'PlaceOrder';
  readonly sagaId: string;
  readonly status: SagaStatus;
  readonly step: string | null;
  readonly version: number;
}

export interface SagaReport {
  /** Sagas by status, as the database has them (every process). */
  readonly byStatus: Readonly<Record<SagaStatus, number>>;
  /** This process's engine: commands written to the outbox, resent after a deadline, steps given up on. */
  readonly commandsSent: number;
  readonly resends: number;
  readonly stepsTimedOut: number;
  readonly conflicts: number;
  readonly ignored: number;
  /** Deadlines the poller acted on. */
  readonly deadlinesFired: number;
}

export interface SagaWiring {
  readonly mode: 'saga-engine';
  /** Topics to create before start(), besides the domain's event topics. */
  readonly topics: readonly string[];
  readonly consumers: readonly NamedConsumer[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The PlaceOrder saga of an order; null when none was started (yet). */
  sagaStatus(orderId: string, db?: Queryable): Promise<SagaView | null>;
  report(db?: Queryable): Promise<SagaReport>;
}

export interface SagaWiringDeps {
  readonly pool: ConnectionPool;
  readonly kafka: Kafka;
  readonly publisher: KafkaPublisher;
  /** Consumer group ids start with it. */
  readonly groupPrefix: string;
  /** Parked sagas, failed steps and compensations, retries and dead letters. */
  readonly logger: Logger;
}

export function named(name: string, groupId: string, runner: Omit<NamedConsumer, 'name' | 'groupId'>): NamedConsumer {
  return { name, groupId, metrics: () => runner.metrics(), lag: () => runner.lag(), start: () => runner.start(), stop: () => runner.stop() };
}

export function createSagaWiring(deps: SagaWiringDeps): SagaWiring {
  const { pool, kafka, publisher, logger } = deps;
  // A parked saga is an error line of the logger; listParkedSagas shows them all.
  const engine = createPlaceOrderEngine({ logger });
  const poller = new SagaTimeoutPoller({ pool, engines: [engine], logger });

  // The orchestrator: every event the saga starts on or waits for goes to the engine.
  const orchestratorGroup = `${deps.groupPrefix}.place-order`;
  const orchestrator = createEventConsumer(
    { kafka, pool, groupId: orchestratorGroup, publisher, logger },
    placeOrderHandlers(engine),
  );

  // The receiving aggregates: one consumer for the three command topics.
  const commandsGroup = `${deps.groupPrefix}.commands`;
  const commandConsumer = createCommandConsumer(
    { kafka, pool, groupId: commandsGroup, publisher, logger },
    { Order: orderRepository(pool), Inventory: inventoryRepository(pool), Payment: paymentRepository(pool) },
  );

  const consumers: NamedConsumer[] = [named('place-order', orchestratorGroup, orchestrator), named('commands', commandsGroup, commandConsumer)];

  return {
    mode: 'saga-engine',
    topics: Object.values(commandTopics),
    consumers,
    async start() {
      await Promise.all(consumers.map((c) => c.start()));
      poller.start();
    },
    async stop() {
      await poller.stop();
      await Promise.all(consumers.map((c) => c.stop()));
    },
    async sagaStatus(orderId, db) {
      const saga = await engine.get(db ?? pool, orderId);
      return saga === undefined ? null : { saga: 'PlaceOrder', sagaId: saga.sagaId, status: saga.status, step: saga.step, version: saga.version };
    },
    async report(db) {
      const m = engine.metrics();
      return {
        byStatus: await countSagas(db ?? pool, placeOrderSaga.name),
        commandsSent: m.commandsSent,
        resends: m.resends,
        stepsTimedOut: m.stepsTimedOut,
        conflicts: m.conflicts,
        ignored: m.ignored,
        deadlinesFired: poller.metrics().fired,
      };
    },
  };
}
