// Custom upcasters of the `com.example.orders` domain: what its spec marks `upcast: custom`.
//
// This file is yours. It lives outside the generated folder, so deleting or git-ignoring that
// folder never touches it. `eventsmith generate` created it and never rewrites your code. The
// generated ../../generated/orders/upcasters.ts imports each function below and re-checks its type,
// so a missing or mistyped one is a compile error, not a runtime surprise. A stub has no return
// statement: it does not compile until you implement it.
//
// When the spec later marks another one `upcast: custom`, generate adds its typed stub at the end
// of this file and the types it needs (from ../../generated/orders/types.js) to the imports, and
// changes nothing else. A function whose signature no longer matches the spec is reported with its
// line and column, never rewritten. Each one has this shape:
//
//   export function upcast<Event>V<n>ToV<n+1>(v<n>: <Event>V<n>): <Event>V<n+1> { … }

import type { PaymentDeclinedV1, PaymentDeclinedV2 } from '../../generated/orders/types.js';

/**
 * Version 1 `reason` texts as the payment provider wrote them, `<code>: <message>`, by the
 * version 2 code. A reason without a known code keeps its whole text as the message.
 */
const providerCodes: ReadonlyMap<string, PaymentDeclinedV2['code']> = new Map<string, PaymentDeclinedV2['code']>([
  ['insufficient_funds', 'insufficientFunds'],
  ['card_expired', 'cardExpired'],
  ['fraud_suspected', 'fraudSuspected'],
]);

/** `com.example.orders.payment.declined` version 1 → 2 (`upcast: custom` in the spec). */
export function upcastPaymentDeclinedV1ToV2(v1: PaymentDeclinedV1): PaymentDeclinedV2 {
  const match = /^([a-z_]+):\s*([\s\S]*)$/.exec(v1.reason);
  const code = match?.[1] === undefined ? undefined : providerCodes.get(match[1]);
  return {
    orderId: v1.orderId,
    code: code ?? 'other',
    message: code === undefined ? v1.reason : (match?.[2] ?? ''),
    metadata: v1.metadata,
  };
}
