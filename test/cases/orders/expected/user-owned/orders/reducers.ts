// Custom reducers of the `com.example.orders` domain: what its spec marks `apply: custom`.
//
// This file is yours. It lives outside the generated folder, so deleting or git-ignoring that
// folder never touches it. `eventsmith generate` created it and never rewrites your code. The
// generated ../../orders/reducers.ts imports each function below and re-checks its type, so a
// missing or mistyped one is a compile error, not a runtime surprise. A stub has no return
// statement: it does not compile until you implement it.
//
// When the spec later marks another one `apply: custom`, generate adds its typed stub at the end of
// this file and the types it needs (from ../../orders/types.js) to the imports, and changes nothing
// else. A function whose signature no longer matches the spec is reported with its line and column,
// never rewritten. Each one has this shape:
//
//   export function apply<Event>(state: <Aggregate>State, data: <Event>): <Aggregate>State { … }

import type { InventoryState, StockReleased, StockReserved } from '../../orders/types.js';

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
