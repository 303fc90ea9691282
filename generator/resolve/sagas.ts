// Sagas: references to events (resolved to their nodes, across every loaded domain) and to
// commands (whose aggregate must exist), correlation paths and ISO-8601 timeouts.
import type { DomainEvent, MessageRef, Saga, SagaStep } from '../core/model.js';
import { didYouMean, nameProblem } from '../core/names.js';
import { asString, describeValue, entriesOf, get, isMapping, type Path, type SpecContext } from './context.js';
import { resolveRef, type ExprScope } from './expr.js';
import type { ValueEnv } from './defaults.js';
import { formatType } from './type-expr.js';

export interface SagaScope {
  readonly ctx: SpecContext;
  readonly env: ValueEnv;
  /** `Aggregate.Event` → event, over all domains. */
  readonly events: ReadonlyMap<string, DomainEvent>;
  readonly aggregates: ReadonlySet<string>;
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

function resolveSaga(name: string, spec: unknown, path: Path, scope: SagaScope): Saga | undefined {
  const { ctx } = scope;
  const problem = nameProblem('saga', name);
  if (problem) ctx.error('ES3007', problem, path, 'key');
  if (!isMapping(spec)) {
    ctx.error('ES2004', 'a saga is a mapping with startedBy, correlation and steps', path);
    return undefined;
  }
  const startedBy = messageRef(get(spec, 'startedBy'), [...path, 'startedBy'], 'event', scope);
  const correlation = asString(get(spec, 'correlation')) ?? 'aggregateId';
  if (startedBy?.event) checkCorrelation(correlation, startedBy.event, [...path, 'correlation'], scope);
  const timeout = duration(get(spec, 'timeout'), [...path, 'timeout'], ctx);
  const steps: SagaStep[] = [];
  const rawSteps = get(spec, 'steps');
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) {
    ctx.error('ES2003', `saga ${name} needs at least one step under \`steps\``, path, 'key');
  }
  const stepNames = new Set<string>();
  (Array.isArray(rawSteps) ? rawSteps : []).forEach((s: unknown, i) => {
    const step = resolveStep(s, [...path, 'steps', i], stepNames, scope);
    if (step) steps.push(step);
  });
  const onCompleted = messageRef(get(spec, 'onCompleted'), [...path, 'onCompleted'], 'command', scope);
  const onCompensated = messageRef(get(spec, 'onCompensated'), [...path, 'onCompensated'], 'command', scope);
  const doc = asString(get(spec, 'doc'));
  if (!startedBy) return undefined;
  return {
    kind: 'saga',
    name,
    startedBy,
    correlation,
    ...(timeout !== undefined ? { timeout } : {}),
    steps,
    ...(onCompleted ? { onCompleted } : {}),
    ...(onCompensated ? { onCompensated } : {}),
    ...(doc !== undefined ? { doc } : {}),
    loc: ctx.loc(path),
  };
}

function resolveStep(spec: unknown, path: Path, names: Set<string>, scope: SagaScope): SagaStep | undefined {
  const { ctx } = scope;
  if (!isMapping(spec)) {
    ctx.error('ES2004', 'a saga step is a mapping with name, command, succeedsOn and failsOn', path);
    return undefined;
  }
  const name = asString(get(spec, 'name')) ?? '';
  const problem = nameProblem('step', name);
  if (problem) ctx.error('ES3007', problem, [...path, 'name']);
  else if (names.has(name)) ctx.error('ES3008', `step name \`${name}\` is used twice in this saga`, [...path, 'name']);
  names.add(name);
  const command = messageRef(get(spec, 'command'), [...path, 'command'], 'command', scope);
  const succeedsOn = messageRef(get(spec, 'succeedsOn'), [...path, 'succeedsOn'], 'event', scope);
  const failsOn = messageRef(get(spec, 'failsOn'), [...path, 'failsOn'], 'event', scope);
  const rawCompensation = get(spec, 'compensation');
  const compensation = rawCompensation === undefined ? undefined : messageRef(rawCompensation, [...path, 'compensation'], 'command', scope);
  const timeout = duration(get(spec, 'timeout'), [...path, 'timeout'], ctx);
  if (!command || !succeedsOn || !failsOn) return undefined;
  return {
    kind: 'sagaStep',
    name,
    command,
    succeedsOn,
    failsOn,
    ...(compensation ? { compensation } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    loc: ctx.loc(path, 'value'),
  };
}

/** `Aggregate.Message`: an event must be declared; a command's aggregate must exist. */
function messageRef(raw: unknown, path: Path, want: 'event' | 'command', scope: SagaScope): MessageRef | undefined {
  if (raw === undefined) return undefined;
  const { ctx } = scope;
  const m = typeof raw === 'string' ? /^([A-Z][A-Za-z0-9]*)\.([A-Z][A-Za-z0-9]*)$/.exec(raw) : null;
  if (typeof raw !== 'string' || !m) {
    ctx.error('ES3010', `expected \`Aggregate.${want === 'event' ? 'Event' : 'Command'}\`, got ${describeValue(raw)}`, path);
    return undefined;
  }
  const aggregate = m[1] ?? '';
  const name = m[2] ?? '';
  const loc = ctx.loc(path, 'value');
  if (want === 'command') {
    if (!scope.aggregates.has(aggregate)) {
      ctx.errorInto('ES3010', `command ${raw} names an unknown aggregate \`${aggregate}\`${didYouMean(aggregate, scope.aggregates)}`, path, raw, 0);
      return undefined;
    }
    return { kind: 'messageRef', aggregate, name, loc };
  }
  const event = scope.events.get(raw);
  if (!event) {
    const known = scope.aggregates.has(aggregate) ? '' : ` (no aggregate \`${aggregate}\` is declared)`;
    ctx.error('ES3010', `unknown event \`${raw}\`${known}${didYouMean(raw, scope.events.keys())}`, path);
    return undefined;
  }
  return { kind: 'messageRef', aggregate, name, event, loc };
}

/** `aggregateId` or `$.path` to a non-null key-like field of the starting event's latest version. */
function checkCorrelation(text: string, event: DomainEvent, path: Path, scope: SagaScope): void {
  if (text === 'aggregateId') return;
  if (!text.startsWith('$.')) {
    scope.ctx.error('ES3011', `correlation must be \`aggregateId\` or \`$.<field>\` of ${event.name}, got ${JSON.stringify(text)}`, path);
    return;
  }
  const latest = event.versions[event.versions.length - 1];
  const exprScope: ExprScope = { ctx: scope.ctx, env: scope.env, source: latest?.fields ?? [], sourceName: latest?.typeName ?? event.name };
  const ref = resolveRef(text, exprScope, path);
  if (!ref) return;
  const t = ref.type;
  const keyLike = (t.kind === 'primitive' && ['string', 'int', 'long'].includes(t.name)) || (t.kind === 'logical' && t.name === 'uuid');
  if (!keyLike) scope.ctx.error('ES3012', `correlation \`${text}\` is ${formatType(t)}; it must be a string, uuid, int or long that is never null`, path);
}

/**
 * ISO-8601 duration in weeks, days, hours, minutes and seconds. Years and months are refused:
 * they have no fixed length, and a stored timer needs one.
 */
export function durationProblem(text: string): string | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,3}))?S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return `${JSON.stringify(text)} is not an ISO-8601 duration such as PT15M, PT1H30M or P1D`;
  if (m[1] !== undefined || m[2] !== undefined) return `${JSON.stringify(text)} uses years or months, which have no fixed length; use days (P30D) or weeks`;
  if (m.slice(3).every((g) => g === undefined || /^0*$/.test(g))) return `${JSON.stringify(text)} is zero; a timeout must be longer than that`;
  return undefined;
}

function duration(raw: unknown, path: Path, ctx: SpecContext): string | undefined {
  if (raw === undefined) return undefined;
  const problem = typeof raw === 'string' ? durationProblem(raw) : `expected an ISO-8601 duration string, got ${describeValue(raw)}`;
  if (problem) ctx.error('ES3019', problem, path);
  return typeof raw === 'string' ? raw : undefined;
}
