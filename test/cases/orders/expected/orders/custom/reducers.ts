// Custom reducers of the `com.example.orders` domain: what its spec marks `apply: custom`.
//
// This file is yours. `eventsmith generate` created it once and never overwrites it. The generated
// ../reducers.ts imports each function below and re-checks its type, so a missing or mistyped one
// is a compile error, not a runtime surprise. A stub has no return statement: it does not compile
// until you implement it.
//
// When the spec later marks another one `apply: custom`, generate leaves this file as it is and the
// compiler reports the missing export in ../reducers.ts. Add it here, with the types imported from
// ../types.js:
//
//   export function apply<Event>(state: <Aggregate>State, data: <Event>): <Aggregate>State { … }
//
// Or move this file aside, run `eventsmith generate` to get fresh stubs for every custom one, and
// copy your implementations back.

import type { InventoryState, StockReleased, StockReserved } from '../types.js';

// TODO: implement; until this returns the new state, the project does not compile.
/**
 * Inventory state after `com.example.orders.inventory.stockreserved` (`apply: custom` in the spec).
 * Must not mutate `state`.
 */
export function applyStockReserved(state: InventoryState, data: StockReserved): InventoryState {
}

// TODO: implement; until this returns the new state, the project does not compile.
/**
 * Inventory state after `com.example.orders.inventory.stockreleased` (`apply: custom` in the spec).
 * Must not mutate `state`.
 */
export function applyStockReleased(state: InventoryState, data: StockReleased): InventoryState {
}
