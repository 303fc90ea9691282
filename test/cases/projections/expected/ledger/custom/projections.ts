// Custom projection rules of the `com.acme.ledger` domain: what its spec marks `custom` (a
// projection rule).
//
// This file is yours. `eventsmith generate` created it once and never overwrites it. The generated
// ../projections.ts imports each function below and re-checks its type, so a missing or mistyped
// one is a compile error, not a runtime surprise. A stub has no return statement: it does not
// compile until you implement it.
//
// When the spec later marks another one `custom` (a projection rule), generate leaves this file as
// it is and the compiler reports the missing export in ../projections.ts. Add it here, with the
// types imported from ../types.js:
//
//   export async function project<Projection><Event>(db: Queryable, table: string, e: ProjectionEvent<<Event>>): Promise<ProjectionApplied> { … }
//
// Or move this file aside, run `eventsmith generate` to get fresh stubs for every custom one, and
// copy your implementations back.

import type { ProjectionApplied, ProjectionEvent, Queryable } from 'eventsmith/runtime';
import type { Audited } from '../types.js';

// TODO: implement; until this returns 'applied', the project does not compile.
/**
 * Applies Account.Audited to `table` (projection AccountBalance, normally `account_balances`; a
 * rebuild passes its shadow table). Runs in the runner's transaction: write only through `db`.
 */
export function projectAccountBalanceAccountAudited(
  db: Queryable,
  table: string,
  e: ProjectionEvent<Audited>,
): Promise<ProjectionApplied> {
}
