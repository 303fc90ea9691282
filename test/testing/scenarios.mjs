// Kit scenarios in plain JavaScript on the built package (`eventsmith/testing`), each a function
// that throws when the kit misbehaves. The same functions run under vitest (kit.test.ts) and
// under node:test (kit.node-test.mjs): the kits must not depend on a test framework.
import { AssertionError as NodeAssertionError } from 'node:assert';
import { KitAssertionError, deciderKit, reducerKit, sagaKit, upcasterKit } from 'eventsmith/testing';

function check(ok, message) {
  if (!ok) throw new NodeAssertionError({ message });
}

/** The kit must throw, with a message matching `pattern`. */
function fails(run, pattern) {
  try {
    run();
  } catch (e) {
    check(e instanceof KitAssertionError && e.name === 'AssertionError', `expected a KitAssertionError, got ${e}`);
    check(pattern.test(e.message), `message ${JSON.stringify(e.message)} does not match ${pattern}`);
    return;
  }
  throw new NodeAssertionError({ message: 'the kit did not fail' });
}

// A counter aggregate: `add` adds, refusing to go past 10; v1 of `added` had `n` as a string.
const counter = {
  initialState: { total: 0n, at: null },
  evolve: (s, e) => (e.type === 'added' ? { total: s.total + e.data.n, at: e.data.at } : s),
  decide: (s, c, meta) => {
    if (s.total + c.data.n > 10n) throw new RangeError(`over the limit: ${s.total + c.data.n}`);
    return [{ type: 'added', data: { n: c.data.n, at: meta.now } }];
  },
  upcast: (e) => (e.dataVersion === 1 ? { type: e.type, data: { n: BigInt(e.data.n), at: null } } : { type: e.type, data: e.data }),
};
const now = new Date('2030-01-01T00:00:00.000Z');

export const scenarios = {
  'decider: given / when / then, with the fixed meta.now'() {
    const kit = deciderKit({ name: 'Counter', ...counter, aggregateId: 'c-1' });
    kit.given({ type: 'added', data: { n: 4n, at: null } }).when({ type: 'add', data: { n: 3n } }).then({ type: 'added', data: { n: 3n, at: now } });
  },
  'decider: thenThrows by class, message and pattern; and when it does not throw'() {
    const kit = deciderKit({ name: 'Counter', ...counter, aggregateId: 'c-1' });
    const when = kit.given({ type: 'added', data: { n: 9n, at: null } }).when({ type: 'add', data: { n: 2n } });
    when.thenThrows(RangeError);
    when.thenThrows('over the limit: 11');
    when.thenThrows(/limit: \d+/);
    fails(() => when.thenThrows(TypeError), /threw RangeError: over the limit: 11, expected an instance of TypeError/);
    fails(() => kit.given().when({ type: 'add', data: { n: 1n } }).thenThrows(), /was expected to throw, but returned/);
  },
  'decider: a wrong expectation shows a diff of exact values (bigint, Date)'() {
    const kit = deciderKit({ name: 'Counter', ...counter, aggregateId: 'c-1' });
    fails(
      () => kit.given().when({ type: 'add', data: { n: 3n } }).then({ type: 'added', data: { n: 3, at: now } }),
      /Counter: add after 0 events: the decided events differs \(- expected, \+ actual\):\n[\s\S]*-\s+n: 3,\n\+\s+n: 3n,/,
    );
    fails(() => kit.given().when({ type: 'add', data: { n: 3n } }).then(), /-\s+\[\]\n\+\s+\[/);
  },
  'reducer: stored events of any version are upcast, then applied'() {
    const kit = reducerKit({ name: 'Counter', ...counter });
    kit.given({ type: 'added', dataVersion: 1, data: { n: '5' } }, { type: 'added', dataVersion: 2, data: { n: 2n, at: now } }).then({ total: 7n, at: now });
    fails(() => kit.given({ type: 'added', dataVersion: 1, data: { n: '5' } }).then({ total: 5, at: null }), /-\s+total: 5,\n\+\s+total: 5n,/);
  },
  'upcaster: v1 to the latest version'() {
    const kit = upcasterKit('Counter', counter.upcast);
    kit.upcast({ type: 'added', dataVersion: 1, data: { n: '5' } }).to({ type: 'added', data: { n: 5n, at: null } });
    fails(() => kit.upcast({ type: 'added', dataVersion: 1, data: { n: '5' } }).to({ type: 'added', data: { n: 5n } }), /Counter: added v1 upcast to its latest version/);
  },
  'saga: replies move it on, a failure compensates in reverse, timeouts resend then park'() {
    const command = (type) => (ctx) => ({ type, topic: 't', key: ctx.sagaId, aggregateType: 'A', dataversion: 1, datacontenttype: 'application/json', payload: new TextEncoder().encode(JSON.stringify({ saga: ctx.sagaId })) });
    const definition = {
      name: 'Trip',
      startedBy: 'trip.requested',
      correlate: (m) => m.aggregateId,
      initialContext: (m) => ({ sagaId: m.aggregateId, steps: [] }),
      recordStep: (ctx, step) => ({ ...ctx, steps: [...ctx.steps, step] }),
      encodeContext: (ctx) => ctx,
      decodeContext: (json) => json,
      steps: [
        { name: 'flight', command: command('book-flight'), succeedsOn: ['flight.booked'], failsOn: ['flight.full'], compensation: command('cancel-flight'), compensationSucceedsOn: ['flight.cancelled'], timeoutMs: 1000 },
        { name: 'hotel', command: command('book-hotel'), succeedsOn: ['hotel.booked'], failsOn: ['hotel.full'], compensation: command('cancel-hotel'), compensationSucceedsOn: ['hotel.cancelled'], timeoutMs: 1000 },
        { name: 'car', command: command('book-car'), succeedsOn: ['car.booked'], failsOn: ['car.none'], timeoutMs: 1000 },
      ],
      retry: { maxAttempts: 2, backoffMs: 100 },
      onCompleted: command('trip-booked'),
      onCompensated: command('trip-cancelled'),
    };
    const json = { 'book-flight': { 1: { fromJson: (s) => JSON.parse(s), fromBinary: () => null } } };
    const kit = sagaKit(definition, { commandCodecs: json });
    kit.start({}, { aggregateId: 'trip-1' }).expectSent({ type: 'book-flight', key: 'trip-1', data: { saga: 'trip-1' } });
    kit.reply('flight.booked', {}).reply('hotel.booked', {}).reply('car.none', {});
    // The car failed: compensate hotel, then flight (reverse order), each waited for.
    kit.expectSent({ type: 'book-hotel' }, { type: 'book-car' }, { type: 'cancel-hotel' }).expectStatus('compensating', 'hotel');
    kit.reply('hotel.cancelled', {}).expectSent({ type: 'cancel-flight' }).reply('flight.cancelled', {}).expectSent({ type: 'trip-cancelled' }).expectStatus('compensated', null);
    // Codecs decode what they know; other payloads stay bytes.
    check(kit.sent[1].data instanceof Uint8Array, 'a command without a codec keeps its payload bytes');

    const late = sagaKit(definition).start({}, { aggregateId: 'trip-2' });
    late.advance(999).expectSent({ type: 'book-flight' });
    late.advance(1).expectSent({ type: 'book-flight' });
    check(late.sent[0].id === late.sent[1].id && late.sent[1].attempt === 2, 'a resend keeps the command id');
    late.advance(1000).expectSent({ type: 'cancel-flight' }).expectStatus('compensating', 'flight');
    late.advance(1000).advance(1000).expectSent({ type: 'cancel-flight' }).expectStatus('parked', 'flight');
    fails(() => late.expectStatus('compensated'), /-\s+status: "compensated",\n\+\s+status: "parked",/);
    late.resume({ skipCompensation: true }).expectSent({ type: 'trip-cancelled' }).expectStatus('compensated', null);
    check(late.now.getTime() === Date.parse('2030-01-01T00:00:04.000Z'), `the clock moved by what advance() asked: ${late.now.toISOString()}`);
  },
};
