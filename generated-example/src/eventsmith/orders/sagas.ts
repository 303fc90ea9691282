// Custom saga and reaction data of the `com.example.orders` domain: the data of each command its
// sagas and reactions send with `data: custom`.
//
// This file is yours. It lives outside the generated folder, so deleting or git-ignoring that
// folder never touches it. `eventsmith generate` created it and never rewrites your code. The
// generated ../../generated/orders/sagas.ts imports each function below and re-checks its type, so
// a missing or mistyped one is a compile error, not a runtime surprise. A stub has no return
// statement: it does not compile until you implement it.
//
// When the spec later marks another one `data: custom`, generate adds its typed stub at the end of
// this file and the types it needs (from ../../generated/orders/types.js and
// ../../generated/orders/sagas.js) to the imports, and changes nothing else. A function whose
// signature no longer matches the spec is reported with its line and column, never rewritten. Each
// one has this shape:
//
//   export function <saga><Step>Data(ctx: <Saga>Context): types.<Command> { … }

import type { SagaFailure } from 'eventsmith/runtime';
import type { PlaceOrderContext } from '../../generated/orders/sagas.js';
import type * as types from '../../generated/orders/types.js';

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
