// Custom reducers of the `com.example.orders` domain: what its spec marks `apply: custom`.
//
// This file is yours. It lives outside the generated folder, so deleting or git-ignoring that
// folder never touches it. `eventsmith generate` created it and never rewrites your code. The
// generated ../../generated/orders/reducers.ts imports each function below and re-checks its type,
// so a missing or mistyped one is a compile error, not a runtime surprise. A stub has no return
// statement: it does not compile until you implement it.
//
// When the spec later marks another one `apply: custom`, generate adds its typed stub at the end of
// this file and the types it needs (from ../../generated/orders/types.js) to the imports, and
// changes nothing else. A function whose signature no longer matches the spec is reported with its
// line and column, never rewritten. Each one has this shape:
//
//   export function apply<Event>(state: <Aggregate>State, data: <Event>): <Aggregate>State { … }

import type { InventoryState, StockReleased, StockReserved } from '../../generated/orders/types.js';

/**
 * Inventory state after `com.example.orders.inventory.stockreserved` (`apply: custom` in the spec):
 * the quantity leaves `available` and is held under the order, added to what it already holds.
 */
export function applyStockReserved(state: InventoryState, data: StockReserved): InventoryState {
  const held = reservedFor(state, data.orderId);
  return {
    ...state,
    available: state.available - BigInt(data.quantity),
    reservations: { ...state.reservations, [data.orderId]: held + data.quantity },
  };
}

/**
 * Inventory state after `com.example.orders.inventory.stockreleased` (`apply: custom` in the spec):
 * the quantity, at most what the order holds, returns to `available`; an order holding nothing
 * more leaves `reservations`.
 */
export function applyStockReleased(state: InventoryState, data: StockReleased): InventoryState {
  const held = reservedFor(state, data.orderId);
  const released = Math.min(held, data.quantity);
  const reservations = { ...state.reservations };
  if (held - released > 0) reservations[data.orderId] = held - released;
  else delete reservations[data.orderId];
  return { ...state, available: state.available + BigInt(released), reservations };
}

/** What `orderId` holds; own properties only, so a key such as `constructor` reads as nothing. */
function reservedFor(state: InventoryState, orderId: string): number {
  return Object.prototype.hasOwnProperty.call(state.reservations, orderId) ? (state.reservations[orderId] ?? 0) : 0;
}
