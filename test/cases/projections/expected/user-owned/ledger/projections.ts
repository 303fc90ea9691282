// Custom projection rules of the `com.acme.ledger` domain: what its spec marks `custom` (a
// projection rule).
//
// This file is yours. It lives outside the generated folder, so deleting or git-ignoring that
// folder never touches it. `eventsmith generate` created it and never rewrites your code. The
// generated ../../ledger/projections.ts imports each function below and re-checks its type, so a
// missing or mistyped one is a compile error, not a runtime surprise. A stub has no return
// statement: it does not compile until you implement it.
//
// When the spec later marks another one `custom` (a projection rule), generate adds its typed stub
// at the end of this file and the types it needs (from eventsmith/runtime and
// ../../ledger/types.js) to the imports, and changes nothing else. A function whose signature no
// longer matches the spec is reported with its line and column, never rewritten. Each one has this
// shape:
//
//   export async function project<Projection><Event>(db: Queryable, table: string, e: ProjectionEvent<<Event>>): Promise<ProjectionApplied> { … }

import type { ProjectionApplied, ProjectionEvent, Queryable } from 'eventsmith/runtime';
import type { Audited } from '../../ledger/types.js';

// TODO: implement; until this returns 'applied', the project does not compile.
/**
 * Applies Account.Audited to `table` (projection AccountBalance, normally `account_balances`; a
 * rebuild passes its shadow table). Runs in the runner's transaction, or in Kafka mode
 * (accountBalanceKafkaHandlers) the consumer's: write only through `db`.
 */
export function projectAccountBalanceAccountAudited(
  db: Queryable,
  table: string,
  e: ProjectionEvent<Audited>,
): Promise<ProjectionApplied> {
}
