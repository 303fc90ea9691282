// Given / when / then for an aggregate's generated code: its decider (commands → events), its
// reducer (stored events of any version → state, through the same upcasters production loads
// with) and its upcasters (old data → the latest version). The kits take the generated functions
// themselves, so what is tested is what runs; the generated `testing.ts` of a domain binds them
// with the domain's types, so a wrong event type or field does not compile.
import type { CommandMeta } from '../saga/command-handler.js';
import { assertEqual, assertThrows, type ErrorMatcher } from './assert.js';

/** An event or command at its latest version: what deciders and reducers take. */
export interface TypedMessage {
  readonly type: string;
  readonly data: unknown;
}

/** An event as stored or received: any version, before upcasting. */
export interface StoredMessage extends TypedMessage {
  readonly dataVersion: number;
}

export interface DeciderKitSpec<S, E extends TypedMessage, C extends TypedMessage, Id> {
  readonly name: string;
  readonly initialState: S;
  readonly evolve: (state: S, event: E) => S;
  readonly decide: (state: S, command: C, meta: CommandMeta<Id>) => readonly E[];
  /** The aggregate id commands are addressed to unless `when` says otherwise. */
  readonly aggregateId: Id;
}

export interface DeciderThen<S, E> {
  /** Asserts the decided events, in order (none: `then()`). */
  then(...expected: E[]): void;
  /** Asserts the decider throws (optionally: an error class, a message part or pattern, a predicate); returns the error. */
  thenThrows(matcher?: ErrorMatcher): unknown;
  /** The decided events, for assertions of your own. */
  events(): readonly E[];
  /** The state the decider saw. */
  readonly state: S;
}

export interface DeciderWhen<S, E, C, Id> {
  when(command: C, meta?: Partial<CommandMeta<Id>>): DeciderThen<S, E>;
}

export interface DeciderKit<S, E, C, Id> {
  /** The aggregate's history before the command, at the latest versions (none: a new aggregate). */
  given(...events: E[]): DeciderWhen<S, E, C, Id>;
}

export function deciderKit<S, E extends TypedMessage, C extends TypedMessage, Id>(spec: DeciderKitSpec<S, E, C, Id>): DeciderKit<S, E, C, Id> {
  return {
    given(...history) {
      const state = history.reduce(spec.evolve, spec.initialState);
      return {
        when(command, meta) {
          const fullMeta: CommandMeta<Id> = {
            commandId: 'test-command',
            commandType: command.type,
            aggregateId: spec.aggregateId,
            correlationId: 'test-correlation',
            causationId: undefined,
            version: history.length,
            conflicts: 0,
            // A fixed time, so a decider that reads `meta.now` gives the same events on every run.
            now: new Date('2030-01-01T00:00:00.000Z'),
            ...meta,
          };
          const run = (): readonly E[] => spec.decide(state, command, fullMeta);
          const what = `${spec.name}: ${command.type} after ${history.length} event${history.length === 1 ? '' : 's'}`;
          return {
            state,
            events: run,
            then(...expected) {
              assertEqual(run(), expected, `${what}: the decided events`);
            },
            thenThrows(matcher) {
              return assertThrows(run, matcher, what);
            },
          };
        },
      };
    },
  };
}

export interface ReducerKitSpec<S, E extends TypedMessage, A extends StoredMessage> {
  readonly name: string;
  readonly initialState: S;
  readonly evolve: (state: S, event: E) => S;
  /** The aggregate's generated `upcast<Aggregate>Event`: what the repository runs on every stored event. */
  readonly upcast: (stored: A) => E;
}

export interface ReducerThen<S> {
  /** Asserts the state the events lead to. */
  then(expected: S): void;
  readonly state: S;
}

export interface ReducerKit<S, A> {
  /** Stored events at any of their versions, oldest first; each is upcast as in production, then applied. */
  given(...events: A[]): ReducerThen<S>;
}

export function reducerKit<S, E extends TypedMessage, A extends StoredMessage>(spec: ReducerKitSpec<S, E, A>): ReducerKit<S, A> {
  return {
    given(...events) {
      const state = events.map(spec.upcast).reduce(spec.evolve, spec.initialState);
      return {
        state,
        then(expected) {
          assertEqual(state, expected, `${spec.name}: the state after ${events.length} event${events.length === 1 ? '' : 's'}`);
        },
      };
    },
  };
}

export interface UpcasterKit<E, A> {
  /** Upcasts one stored event (any version) as production does; `.to(latest)` asserts the result. */
  upcast(stored: A): { to(expected: E): void; readonly result: E };
}

export function upcasterKit<E extends TypedMessage, A extends StoredMessage>(name: string, upcast: (stored: A) => E): UpcasterKit<E, A> {
  return {
    upcast(stored) {
      const result = upcast(stored);
      return {
        result,
        to(expected) {
          assertEqual(result, expected, `${name}: ${stored.type} v${stored.dataVersion} upcast to its latest version`);
        },
      };
    },
  };
}
