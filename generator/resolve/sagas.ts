// Sagas: the start event and correlation, ISO-8601 timeouts and the retry policy, and per step
// the command it sends (with its target and data), the events that complete or fail it, and
// its compensation. A step can only complete with events its command `emits`, needs a failure
// path, and is unreachable when an earlier step can never succeed.
import type {
  Command,
  CommandSend,
  DataExpr,
  DomainEvent,
  Duration,
  RetryPolicy,
  Saga,
  SagaCompensation,
  SagaCorrelation,
  SagaStep,
  TypeRef,
} from '../core/model.js';
import { nameProblem } from '../core/names.js';
import { asString, describeValue, entriesOf, get, isMapping, type Path, type SpecContext } from './context.js';
import type { ValueEnv } from './defaults.js';
import { resolveRef, type ExprScope } from './expr.js';
import {
  aggregateIdType,
  commandRef,
  eventRef,
  eventRefs,
  resolveSend,
  sendSpecOf,
  type DataScope,
  type DefaultTarget,
  type MessageLookup,
} from './saga-data.js';
import { formatType } from './type-expr.js';

export interface SagaScope {
  readonly ctx: SpecContext;
  readonly env: ValueEnv;
  readonly lookup: MessageLookup;
}

export function resolveSagas(raw: unknown, scope: SagaScope): Saga[] {
  const sagas: Saga[] = [];
  if (raw !== undefined && raw !== null && !isMapping(raw)) {
    scope.ctx.error('ES2004', 'sagas must be a mapping of saga names to sagas', ['sagas']);
    return sagas;
  }
  for (const [name, spec] of entriesOf(raw)) {
    const saga = resolveSaga(name, spec, ['sagas', name], scope);
    if (saga) sagas.push(saga);
  }
  return sagas;
}

/** Resends before a command counts as timed out, and the wait between them, when the spec says nothing. */
export const defaultRetry = { maxAttempts: 3, backoff: 'PT1S' } as const;

/** What the steps of one saga share while they are resolved. */
interface SagaContext {
  readonly scope: SagaScope;
  readonly name: string;
  readonly start?: { readonly event: DomainEvent; readonly idType: TypeRef };
  readonly sagaId?: TypeRef;
  readonly sagaIdTarget?: DefaultTarget;
  /** Every step's name in order, and its success events once resolved (undefined when they did not resolve). */
  readonly stepNames: readonly string[];
  readonly stepEvents: Map<string, { readonly events: readonly DomainEvent[]; readonly idType: TypeRef } | undefined>;
}

function resolveSaga(name: string, spec: unknown, path: Path, scope: SagaScope): Saga | undefined {
  const { ctx, lookup } = scope;
  const problem = nameProblem('saga', name);
  if (problem) ctx.error('ES3007', problem, path, 'key');
  if (!isMapping(spec)) {
    ctx.error('ES2004', 'a saga is a mapping with startedBy, correlation and steps', path);
    return undefined;
  }
  const startedBy = eventRef(get(spec, 'startedBy'), [...path, 'startedBy'], ctx, lookup);
  const startIdType = startedBy ? aggregateIdType(lookup, startedBy.aggregateName) : undefined;
  const correlation = startedBy && startIdType ? resolveCorrelation(asString(get(spec, 'correlation')) ?? 'aggregateId', startedBy, startIdType, [...path, 'correlation'], scope) : undefined;
  const timeout = duration(get(spec, 'timeout'), [...path, 'timeout'], ctx);
  const retry = resolveRetry(get(spec, 'retry'), [...path, 'retry'], ctx);

  const rawSteps = get(spec, 'steps');
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) {
    ctx.error('ES2003', `saga ${name} needs at least one step under \`steps\``, path, 'key');
  }
  const stepSpecs: unknown[] = Array.isArray(rawSteps) ? rawSteps : [];
  const stepNames = stepSpecs.map((s) => asString(get(s, 'name')) ?? '');
  const sagaIdExpr: DataExpr | undefined = correlation && { kind: 'sagaId', type: correlation.type };
  const sc: SagaContext = {
    scope,
    name,
    ...(startedBy && startIdType ? { start: { event: startedBy, idType: startIdType } } : {}),
    ...(correlation ? { sagaId: correlation.type } : {}),
    ...(correlation && sagaIdExpr ? { sagaIdTarget: { text: '$sagaId', expr: sagaIdExpr, type: correlation.type } } : {}),
    stepNames,
    stepEvents: new Map(),
  };

  const steps: SagaStep[] = [];
  const seen = new Set<string>();
  let blocked: { readonly step: string; readonly why: string } | undefined;
  let complete = true;
  stepSpecs.forEach((s, i) => {
    const at: Path = [...path, 'steps', i];
    if (blocked) {
      ctx.error('ES3027', `step \`${stepNames[i] ?? ''}\` is unreachable: step \`${blocked.step}\` can never succeed (${blocked.why})`, at, 'value');
      blocked = undefined;
      complete = false;
    }
    const r = resolveStep(s, i, at, seen, sc);
    if (r.step) steps.push(r.step);
    else complete = false;
    if (r.neverSucceeds) blocked = { step: stepNames[i] ?? '', why: r.neverSucceeds };
  });
  const completedScope = dataScope(sc, 'onCompleted', () => undefined);
  const onCompleted = send(get(spec, 'onCompleted'), [...path, 'onCompleted'], sc, completedScope);
  if (blocked && has(spec, 'onCompleted')) {
    ctx.error('ES3027', `onCompleted is unreachable: step \`${blocked.step}\` can never succeed (${blocked.why})`, [...path, 'onCompleted'], 'key');
  }
  const compensatedScope = dataScope(sc, 'onCompensated', () => 'onCompensated reads only `$start` and `$sagaId`: which steps had completed is not known once they are compensated');
  const onCompensated = send(get(spec, 'onCompensated'), [...path, 'onCompensated'], sc, compensatedScope);
  const doc = asString(get(spec, 'doc'));
  if (!startedBy || !correlation || !complete || onCompleted === null || onCompensated === null) return undefined;
  return {
    kind: 'saga',
    name,
    startedBy,
    correlation,
    ...(timeout ? { timeout } : {}),
    retry,
    steps,
    ...(onCompleted ? { onCompleted } : {}),
    ...(onCompensated ? { onCompensated } : {}),
    ...(doc !== undefined ? { doc } : {}),
    loc: ctx.loc(path),
  };
}

function has(spec: unknown, key: string): boolean {
  return get(spec, key) !== undefined;
}

/** The data scope of a send at one point of the saga; `stepProblem` says which steps it may not read. */
function dataScope(sc: SagaContext, where: string, stepProblem: (name: string) => string | undefined): DataScope {
  return {
    ctx: sc.scope.ctx,
    env: sc.scope.env,
    ...(sc.start ? { start: sc.start } : {}),
    ...(sc.sagaId ? { sagaId: sc.sagaId } : {}),
    ...(sc.sagaId ? {} : { startUnresolved: true }),
    steps: new Map(sc.stepNames.map((n) => [n, sc.stepEvents.get(n)])),
    stepProblem,
    where,
  };
}

/** `$steps.<name>` from step `index` (or its compensation): only earlier steps have completed. */
function earlierOnly(sc: SagaContext, index: number, compensation: boolean): (name: string) => string | undefined {
  const own = sc.stepNames[index] ?? '';
  return (name) => {
    const at = sc.stepNames.indexOf(name);
    if (at < index) return undefined;
    if (at === index && compensation) {
      return `the compensation of step \`${own}\` cannot read \`$steps.${own}\`: it also runs when the step timed out, when no event completed it`;
    }
    if (at === index) return `step \`${own}\` cannot read \`$steps.${own}\`: its event arrives after its command is sent`;
    return `step \`${own}\` cannot read \`$steps.${name}\`: that step comes later, so no event has completed it yet`;
  };
}

/**
 * A send (`onCompleted`, `onCompensated`): undefined when absent, null when present but wrong
 * (reported), so the saga is not built from a half-resolved send.
 */
function send(raw: unknown, path: Path, sc: SagaContext, scope: DataScope): CommandSend | undefined | null {
  if (raw === undefined) return undefined;
  const spec = sendSpecOf(raw, path);
  const command = commandRef(spec.command, spec.commandPath, sc.scope.ctx, sc.scope.lookup);
  if (!command) return null;
  return resolveSend(spec, command, sc.sagaIdTarget, scope, sc.scope.lookup) ?? null;
}

interface StepResult {
  readonly step?: SagaStep;
  /** Why the step can never succeed, when it cannot (for the unreachable-step check). */
  readonly neverSucceeds?: string;
}

function resolveStep(spec: unknown, index: number, path: Path, names: Set<string>, sc: SagaContext): StepResult {
  const { ctx, lookup } = sc.scope;
  if (!isMapping(spec)) {
    ctx.error('ES2004', 'a saga step is a mapping with name, command, succeedsOn and failsOn', path);
    return {};
  }
  const name = asString(get(spec, 'name')) ?? '';
  const problem = nameProblem('step', name);
  if (problem) ctx.error('ES3007', problem, [...path, 'name']);
  else if (names.has(name)) ctx.error('ES3008', `step name \`${name}\` is used twice in this saga`, [...path, 'name']);
  names.add(name);

  const command = commandRef(get(spec, 'command'), [...path, 'command'], ctx, lookup);
  const sendScope = dataScope(sc, `step ${name}`, earlierOnly(sc, index, false));
  const sent = command ? resolveSend({ command: get(spec, 'command'), commandPath: [...path, 'command'], to: get(spec, 'to'), data: get(spec, 'data'), path }, command, sc.sagaIdTarget, sendScope, lookup) : undefined;

  const success = outcomes(get(spec, 'succeedsOn'), [...path, 'succeedsOn'], command, 'step', sc);
  let failure: Outcomes | undefined;
  if (get(spec, 'failsOn') === undefined) {
    const emits = command ? ` (${command.name} emits ${listEvents(command.emits)})` : '';
    ctx.error('ES3025', `step \`${name}\` has no failure path: add \`failsOn\` with the event or events of its command that mean it failed${emits}`, path, 'value');
  } else failure = outcomes(get(spec, 'failsOn'), [...path, 'failsOn'], command, 'step', sc);
  let overlapping = false;
  for (const e of success.events) {
    if (failure?.events.includes(e)) {
      overlapping = true;
      const i = failure.events.indexOf(e);
      const at: Path = Array.isArray(get(spec, 'failsOn')) ? [...path, 'failsOn', i] : [...path, 'failsOn'];
      ctx.error('ES3031', `\`${e.aggregateName}.${e.name}\` is in both succeedsOn and failsOn of step \`${name}\`; an event must mean one or the other`, at);
    }
  }
  const successes = success.events.filter((e) => !failure?.events.includes(e));
  let neverSucceeds: string | undefined;
  if (command && success.complete && successes.length === 0 && !overlapping) neverSucceeds = `${command.name} emits none of its succeedsOn events`;
  else if (command && success.complete && successes.length === 0) neverSucceeds = 'every succeedsOn event also fails it';
  sc.stepEvents.set(name, command && success.complete && success.events.length > 0 ? { events: success.events, idType: aggregateIdType(lookup, command.aggregateName) } : undefined);

  const compensation = resolveCompensation(get(spec, 'compensation'), [...path, 'compensation'], index, name, sc);
  const timeout = duration(get(spec, 'timeout'), [...path, 'timeout'], ctx);
  const ok = sent && success.complete && success.valid && failure?.complete && failure.valid && !overlapping && compensation !== null;
  if (!ok || !sent || !failure) return neverSucceeds ? { neverSucceeds } : {};
  return {
    step: {
      kind: 'sagaStep',
      name,
      send: sent,
      succeedsOn: success.events,
      failsOn: failure.events,
      ...(compensation ? { compensation } : {}),
      ...(timeout ? { timeout } : {}),
      loc: ctx.loc(path, 'value'),
    },
  };
}

interface Outcomes {
  readonly events: DomainEvent[];
  /** Every reference resolved. */
  readonly complete: boolean;
  /** Every resolved event is one the command emits. */
  readonly valid: boolean;
}

/** `succeedsOn` / `failsOn`: declared events (ES3010), each one the command emits (ES3026). */
function outcomes(raw: unknown, path: Path, command: Command | undefined, what: 'step' | 'compensation', sc: SagaContext): Outcomes {
  const { ctx, lookup } = sc.scope;
  if (raw === undefined) return { events: [], complete: true, valid: true };
  const { events, complete } = eventRefs(raw, path, ctx, lookup);
  let valid = true;
  const kept: DomainEvent[] = [];
  events.forEach((e) => {
    if (!command || command.emits.includes(e)) {
      kept.push(e);
      return;
    }
    valid = false;
    const at: Path = Array.isArray(raw) ? [...path, raw.indexOf(`${e.aggregateName}.${e.name}`)] : path;
    ctx.error(
      'ES3026',
      `${command.aggregateName}.${command.name} never emits \`${e.aggregateName}.${e.name}\` (it emits ${listEvents(command.emits)}), so the ${what} could never ${path[path.length - 1] === 'failsOn' ? 'fail' : 'complete'} with it; add it to the command's \`emits\` or name another event`,
      at,
    );
  });
  return { events: kept, complete, valid };
}

function listEvents(events: readonly DomainEvent[]): string {
  return events.map((e) => e.name).join(', ');
}

/** undefined when absent, null when present but wrong (reported). */
function resolveCompensation(raw: unknown, path: Path, index: number, stepName: string, sc: SagaContext): SagaCompensation | undefined | null {
  if (raw === undefined) return undefined;
  const { ctx, lookup } = sc.scope;
  const spec = sendSpecOf(raw, path);
  const command = commandRef(spec.command, spec.commandPath, ctx, lookup);
  if (!command) return null;
  const scope = dataScope(sc, `the compensation of step ${stepName}`, earlierOnly(sc, index, true));
  const sent = resolveSend(spec, command, sc.sagaIdTarget, scope, lookup);
  const failure = outcomes(get(raw, 'failsOn'), [...path, 'failsOn'], command, 'compensation', sc);
  const explicit = get(raw, 'succeedsOn');
  // `succeedsOn: []` says so on purpose: the compensation is sent and not waited for.
  const success =
    explicit === undefined
      ? { events: command.emits.filter((e) => !failure.events.includes(e)), complete: true, valid: true }
      : Array.isArray(explicit) && explicit.length === 0
        ? { events: [], complete: true, valid: true }
        : outcomes(explicit, [...path, 'succeedsOn'], command, 'compensation', sc);
  let ok = !!sent && failure.complete && failure.valid && success.complete && success.valid;
  for (const e of success.events) {
    if (failure.events.includes(e)) {
      ok = false;
      ctx.error('ES3031', `\`${e.aggregateName}.${e.name}\` is in both succeedsOn and failsOn of the compensation of step \`${stepName}\``, [...path, 'failsOn']);
    }
  }
  if (success.complete && success.valid && success.events.length === 0 && explicit === undefined) {
    ok = false;
    ctx.error('ES3026', `the compensation of step \`${stepName}\` could never complete: every event ${command.name} emits is in its failsOn`, [...path, 'failsOn']);
  }
  if (!ok || !sent) return null;
  return { kind: 'compensation', send: sent, succeedsOn: success.events, failsOn: failure.events, loc: ctx.loc(path, 'value') };
}

/** `aggregateId`, or `$.path` to a non-null key-like field of the starting event's latest version. */
function resolveCorrelation(text: string, event: DomainEvent, idType: TypeRef, path: Path, scope: SagaScope): SagaCorrelation | undefined {
  if (text === 'aggregateId') return { kind: 'aggregateId', type: idType };
  if (!text.startsWith('$.')) {
    scope.ctx.error('ES3011', `correlation must be \`aggregateId\` or \`$.<field>\` of ${event.name}, got ${JSON.stringify(text)}`, path);
    return undefined;
  }
  const latest = event.versions[event.versions.length - 1];
  const exprScope: ExprScope = { ctx: scope.ctx, env: scope.env, source: latest?.fields ?? [], sourceName: latest?.typeName ?? event.name };
  const ref = resolveRef(text, exprScope, path);
  if (!ref) return undefined;
  const t = ref.type;
  const keyLike = (t.kind === 'primitive' && ['string', 'int', 'long'].includes(t.name)) || (t.kind === 'logical' && t.name === 'uuid');
  if (!keyLike) {
    scope.ctx.error('ES3012', `correlation \`${text}\` is ${formatType(t)}; it must be a string, uuid, int or long that is never null`, path);
    return undefined;
  }
  return { kind: 'field', path: ref.path, type: t };
}

function resolveRetry(raw: unknown, path: Path, ctx: SpecContext): RetryPolicy {
  const fallback: Duration = { kind: 'duration', iso: defaultRetry.backoff, ms: 1000 };
  if (raw !== undefined && !isMapping(raw)) ctx.error('ES2004', `retry is a mapping such as { maxAttempts: ${defaultRetry.maxAttempts}, backoff: ${defaultRetry.backoff} }`, path);
  const rawAttempts = get(raw, 'maxAttempts');
  let maxAttempts: number = defaultRetry.maxAttempts;
  if (rawAttempts !== undefined) {
    if (typeof rawAttempts === 'number' && Number.isSafeInteger(rawAttempts) && rawAttempts >= 1 && rawAttempts <= 1000) maxAttempts = rawAttempts;
    else ctx.error('ES2005', `maxAttempts must be a whole number from 1 to 1000, got ${describeValue(rawAttempts)}`, [...path, 'maxAttempts']);
  }
  const backoff = duration(get(raw, 'backoff'), [...path, 'backoff'], ctx) ?? fallback;
  return { kind: 'retry', maxAttempts, backoff };
}

// ---- durations ----------------------------------------------------------------------------

/**
 * ISO-8601 duration in weeks, days, hours, minutes and seconds (to the millisecond). Years and
 * months are refused: they have no fixed length, and a stored timer needs one.
 */
export function parseDuration(text: string): { readonly ms: number } | { readonly problem: string } {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return { problem: `${JSON.stringify(text)} is not an ISO-8601 duration such as PT15M, PT1H30M or P1D` };
  if (m[1] !== undefined || m[2] !== undefined) return { problem: `${JSON.stringify(text)} uses years or months, which have no fixed length; use days (P30D) or weeks` };
  if (m[8] !== undefined && m[8].length > 3) return { problem: `${JSON.stringify(text)} is finer than a millisecond; timers count whole milliseconds` };
  const n = (g: string | undefined): number => (g === undefined ? 0 : Number(g));
  const ms =
    (((n(m[3]) * 7 + n(m[4])) * 24 + n(m[5])) * 60 + n(m[6])) * 60_000 + n(m[7]) * 1000 + (m[8] === undefined ? 0 : Number(m[8].padEnd(3, '0')));
  if (ms === 0) return { problem: `${JSON.stringify(text)} is zero; a timer needs a length` };
  if (!Number.isSafeInteger(ms)) return { problem: `${JSON.stringify(text)} is too long to be a timer` };
  return { ms };
}

/** Why `text` is not a usable duration, or undefined. */
export function durationProblem(text: string): string | undefined {
  const r = parseDuration(text);
  return 'problem' in r ? r.problem : undefined;
}

function duration(raw: unknown, path: Path, ctx: SpecContext): Duration | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    ctx.error('ES3019', `expected an ISO-8601 duration string, got ${describeValue(raw)}`, path);
    return undefined;
  }
  const r = parseDuration(raw);
  if ('problem' in r) {
    ctx.error('ES3019', r.problem, path);
    return undefined;
  }
  return { kind: 'duration', iso: raw, ms: r.ms };
}
