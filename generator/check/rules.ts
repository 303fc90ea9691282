// The rules of `eventsmith check`. Ids are stable: CI configurations, `allowBreaking` entries
// and docs/check-rules.md key on them, so an id is never reused for another meaning.
// test/check/docs.test.ts keeps this list, the docs page and the DSL schema's enums in step.

export interface CheckRule {
  /** 'error' fails the check unless an `allowBreaking` entry covers it; 'warning' never fails. */
  readonly severity: 'error' | 'warning';
  /** One line, for `--help`-style listings and the docs page. */
  readonly title: string;
  /** Where an opt-out goes: on the event version, or at the top level with a `path`. */
  readonly optOut: 'version' | 'path' | 'none';
}

export const checkRules = {
  PUBLISHED_VERSION_CHANGED: { severity: 'error', title: 'a published event version changed (anything but docs)', optOut: 'version' },
  SHARED_TYPE_CHANGED: { severity: 'error', title: 'a named type used by a published version changed', optOut: 'path' },
  MODE_VIOLATION: { severity: 'error', title: 'a new version violates the compatibility mode against an earlier version', optOut: 'version' },
  VERSION_REMOVED: { severity: 'error', title: 'a published event version was removed', optOut: 'path' },
  EVENT_REMOVED: { severity: 'error', title: 'an event was removed or renamed', optOut: 'path' },
  AGGREGATE_REMOVED: { severity: 'error', title: 'an aggregate was removed or renamed', optOut: 'path' },
  DOMAIN_CHANGED: { severity: 'error', title: 'the domain (Avro namespace) changed', optOut: 'path' },
  CE_TYPE_CHANGED: { severity: 'error', title: "an event's CloudEvents type changed", optOut: 'path' },
  TOPIC_CHANGED: { severity: 'error', title: "an aggregate's Kafka topic changed", optOut: 'path' },
  AGGREGATE_ID_TYPE_CHANGED: { severity: 'error', title: "an aggregate's id type (the Kafka key) changed", optOut: 'path' },
  COMPATIBILITY_WEAKENED: { severity: 'error', title: 'the compatibility mode was changed to one that guarantees less', optOut: 'path' },
  COMMAND_VERSION_CHANGED: { severity: 'error', title: 'a published command version changed (anything but docs)', optOut: 'path' },
  COMMAND_MODE_VIOLATION: { severity: 'error', title: 'a new command version violates the compatibility mode against an earlier version', optOut: 'path' },
  COMMAND_VERSION_REMOVED: { severity: 'error', title: 'a published command version was removed', optOut: 'path' },
  COMMAND_REMOVED: { severity: 'error', title: 'a command was removed or renamed', optOut: 'path' },
  COMMAND_CE_TYPE_CHANGED: { severity: 'error', title: "a command's CloudEvents type changed", optOut: 'path' },
  COMMAND_TOPIC_CHANGED: { severity: 'error', title: "an aggregate's command topic changed", optOut: 'path' },
  SAGA_REMOVED: { severity: 'error', title: 'a saga was removed or renamed while instances may be in flight', optOut: 'path' },
  SAGA_STEP_REMOVED: { severity: 'error', title: 'a saga step was removed or renamed', optOut: 'path' },
  SAGA_STEPS_REORDERED: { severity: 'error', title: "a saga's steps were reordered", optOut: 'path' },
  SAGA_STEP_CHANGED: { severity: 'error', title: "a saga step's command, succeedsOn, failsOn or compensation changed", optOut: 'path' },
  SAGA_STATE_CHANGED: { severity: 'error', title: 'stored saga state (its start and step events) would no longer decode', optOut: 'path' },
  SAGA_TIMEOUT_SHORTENED: { severity: 'warning', title: 'a saga or step timeout was shortened (in-flight instances may time out at once)', optOut: 'none' },
  REPLAY_APPLY_REMOVED: { severity: 'error', title: 'a stored event is no longer applied by its reducer', optOut: 'path' },
  SNAPSHOT_STATE_CHANGED: { severity: 'warning', title: "a snapshotted aggregate's state changed shape (old snapshots are ignored)", optOut: 'none' },
  UNUSED_ALLOW_BREAKING: { severity: 'warning', title: 'an allowBreaking entry matches no finding', optOut: 'none' },
  PROJECTION_REBUILD_REQUIRED: { severity: 'warning', title: "a projection's columns or rules changed: its table needs a rebuild", optOut: 'none' },
} as const satisfies Record<string, CheckRule>;

export type RuleId = keyof typeof checkRules;

export const ruleIds = Object.keys(checkRules) as RuleId[];

/** Rules an `allowBreaking` entry under an event version may name. */
export const versionRuleIds: readonly RuleId[] = ruleIds.filter((id) => checkRules[id].optOut === 'version');

/** Rules a top-level `allowBreaking` entry may name (any rule that can be opted out of). */
export const optOutRuleIds: readonly RuleId[] = ruleIds.filter((id) => checkRules[id].optOut !== 'none');

export function isRuleId(value: string): value is RuleId {
  return Object.prototype.hasOwnProperty.call(checkRules, value);
}
