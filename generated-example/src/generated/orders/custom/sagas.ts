// Custom saga and reaction data of the `com.example.orders` domain: the data of each command its
// sagas and reactions send with `data: custom`.
//
// This file is yours. `eventsmith generate` created it once and never overwrites it. The generated
// ../sagas.ts imports each function below and re-checks its type, so a missing or mistyped one is a
// compile error, not a runtime surprise. A stub has no return statement: it does not compile until
// you implement it.
//
// When the spec later marks another one `data: custom`, generate leaves this file as it is and the
// compiler reports the missing export in ../sagas.ts. Add it here, with the types imported from
// ../types.js and ../sagas.js:
//
//   export function <saga><Step>Data(ctx: <Saga>Context): types.<Command> { … }
//
// Or move this file aside, run `eventsmith generate` to get fresh stubs for every custom one, and
// copy your implementations back.

import type { SagaFailure } from 'eventsmith/runtime';
import type { PlaceOrderContext } from '../sagas.js';
import type * as types from '../types.js';

/** Builds the data of the command PlaceOrder sends after compensating (`data: custom`). */
export function placeOrderOnCompensatedData(
  ctx: PlaceOrderContext,
  failure: SagaFailure,
): types.CancelOrder {
  // The service's report groups cancellations by the start of the reason.
  const what = failure.step === 'reserveStock' ? 'out of stock' : failure.step === 'capturePayment' ? 'payment declined' : failure.step;
  const how = failure.reason === 'failed' ? '' : ` (${failure.reason})`;
  return { reason: `${what}${how}: order ${ctx.sagaId}` };
}
