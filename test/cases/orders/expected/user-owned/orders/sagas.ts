// Custom saga and reaction data of the `com.example.orders` domain: the data of each command its
// sagas and reactions send with `data: custom`.
//
// This file is yours. It lives outside the generated folder, so deleting or git-ignoring that
// folder never touches it. `eventsmith generate` created it and never rewrites your code. The
// generated ../../orders/sagas.ts imports each function below and re-checks its type, so a missing
// or mistyped one is a compile error, not a runtime surprise. A stub has no return statement: it
// does not compile until you implement it.
//
// When the spec later marks another one `data: custom`, generate adds its typed stub at the end of
// this file and the types it needs (from ../../orders/types.js and ../../orders/sagas.js) to the
// imports, and changes nothing else. A function whose signature no longer matches the spec is
// reported with its line and column, never rewritten. Each one has this shape:
//
//   export function <saga><Step>Data(ctx: <Saga>Context): types.<Command> { … }

import type { SagaFailure } from 'eventsmith/runtime';
import type { PlaceOrderContext } from '../../orders/sagas.js';
import type * as types from '../../orders/types.js';

/** Builds the data of the command PlaceOrder sends after compensating (`data: custom`). */
export function placeOrderOnCompensatedData(
  ctx: PlaceOrderContext,
  failure: SagaFailure,
): types.CancelOrder {
}
