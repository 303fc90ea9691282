// Names derived from commands: their CloudEvents type and topic, and the names in
// `<slug>/types.ts`, `envelopes.ts`, `avro.ts`, `upcasters.ts`, `deciders.ts` and the user-owned
// `custom/deciders.ts`. Kept beside names.ts, in its style; the resolver claims the type names
// against the domain's others. Per-version names (`ReserveStockV1`, `reserveStockV1Codec`, …)
// are the event ones of names.ts: events and commands share one namespace per domain.
import { camelCase, kebabCase, reservedWords } from './names.js';

/**
 * CloudEvents type of a command: `<domain>.<aggregate-kebab>.command.<command-kebab>`
 * (`com.example.orders.inventory.command.reserve-stock`). The `command` segment keeps commands
 * apart from events, whose last segment never contains a dot.
 */
export function commandCeType(domain: string, aggregate: string, command: string): string {
  return `${domain}.${kebabCase(aggregate)}.command.${kebabCase(command)}`;
}

/** Default Kafka topic of an aggregate's commands: its event topic + `.commands`. */
export function defaultCommandTopic(eventTopic: string): string {
  return `${eventTopic}.commands`;
}

/** The events a command's decider may return, at their latest versions: `ReserveStockEmits`. */
export function emitsTypeName(command: string): string {
  return `${command}Emits`;
}

/** Union of the latest versions of an aggregate's commands: `InventoryCommand`. */
export function commandUnionTypeName(aggregate: string): string {
  return `${aggregate}Command`;
}

/** Union of every version of an aggregate's commands: `InventoryCommandAnyVersion`. */
export function commandAnyVersionUnionTypeName(aggregate: string): string {
  return `${aggregate}CommandAnyVersion`;
}

/** Constant of an aggregate's command CloudEvents types by command name: `InventoryCommandTypes`. */
export function commandTypesConstName(aggregate: string): string {
  return `${aggregate}CommandTypes`;
}

/** Union of the envelopes of every version of an aggregate's commands: `InventoryCommandEnvelope`. */
export function commandEnvelopeUnionTypeName(aggregate: string): string {
  return `${aggregate}CommandEnvelope`;
}

/** Parser of incoming command envelopes of one aggregate: `parseInventoryCommandEnvelope`. */
export function parseCommandEnvelopeFunctionName(aggregate: string): string {
  return `parse${aggregate}CommandEnvelope`;
}

/** Guard table of an aggregate's command versions, local to envelopes.ts: `inventoryCommandEnvelopeGuards`. */
export function commandEnvelopeGuardsName(aggregate: string): string {
  return `${camelCase(aggregate)}CommandEnvelopeGuards`;
}

/** Constructor of a command's envelope: `reserveStock`; a reserved word gets a `Command` suffix (`Delete` → `deleteCommand`). */
export function commandConstructorName(command: string): string {
  const name = camelCase(command);
  return reservedWords.has(name) ? `${name}Command` : name;
}

/** Codecs of every command version by CloudEvents type and version, exported by avro.ts. */
export const commandCodecsName = 'commandCodecs';

/** Any-version command of an aggregate → its latest version: `upcastInventoryCommand`. */
export function upcastCommandName(aggregate: string): string {
  return `upcast${aggregate}Command`;
}

/** The decider of one command, written by the user in custom/deciders.ts: `decideReserveStock`. */
export function deciderName(command: string): string {
  return `decide${command}`;
}

/** Each command's decider of an aggregate by CloudEvents type, exported by deciders.ts: `inventoryDeciders`. */
export function deciderTableName(aggregate: string): string {
  return `${camelCase(aggregate)}Deciders`;
}

/** Every command of an aggregate to its events, exported by deciders.ts: `decideInventory`. */
export function decideAggregateName(aggregate: string): string {
  return `decide${aggregate}`;
}

/** Default name of a reaction: `orderCancelledSendsReleaseStock`. */
export function defaultReactionName(event: string, command: string): string {
  return `${camelCase(event)}Sends${command}`;
}

/** Runtime type a decider's third parameter has (generator/runtime/commands.ts). */
export const commandMetaTypeName = 'CommandMeta';
