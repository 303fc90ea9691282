// Names in `<slug>/upcasters.ts`, `<slug>/reducers.ts` and the user-owned files under
// `<slug>/custom/`. Kept beside names.ts, in its style, so the emitters never concatenate names
// themselves; they share the value namespace of the domain with envelopes.ts and avro.ts.
import { camelCase } from './names.js';

/** One upcast step, exported by upcasters.ts or, for `upcast: custom`, by custom/upcasters.ts: `upcastOrderPlacedV1ToV2`. */
export function upcastStepName(event: string, fromVersion: number): string {
  return `upcast${event}V${fromVersion}ToV${fromVersion + 1}`;
}

/** Version-keyed chain from any version of one event to its latest: `upcastOrderPlaced`. */
export function upcastChainName(event: string): string {
  return `upcast${event}`;
}

/** Table of the chain, local to upcasters.ts: `orderPlacedUpcasts`. */
export function upcastTableName(event: string): string {
  return `${camelCase(event)}Upcasts`;
}

/** Any-version event of an aggregate → its latest version: `upcastOrderEvent`. */
export function upcastEventName(aggregate: string): string {
  return `upcast${aggregate}Event`;
}

/** Initial state of an aggregate, from the state fields' defaults: `initialOrderState`. */
export function initialStateName(aggregate: string): string {
  return `initial${aggregate}State`;
}

/** Reducer of one aggregate: `evolveOrder`. */
export function evolveName(aggregate: string): string {
  return `evolve${aggregate}`;
}

/** Fold of a sequence of events: `evolveOrderAll`. */
export function evolveAllName(aggregate: string): string {
  return `evolve${aggregate}All`;
}

/** Handler of one event: local to reducers.ts when declarative, exported by custom/reducers.ts when custom: `applyOrderPlaced`. */
export function applyHandlerName(event: string): string {
  return `apply${event}`;
}

/**
 * Local alias of a hand-written function whose type annotation re-checks it against the
 * generated types at the import site: `checkedApplyOrderCancelled`.
 */
export function checkedName(imported: string): string {
  return `checked${imported.charAt(0).toUpperCase()}${imported.slice(1)}`;
}
