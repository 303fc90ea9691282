// The one check of generated names: every claim of core/claims.ts goes into one table per
// module scope, and a name claimed twice is a diagnostic at the spec line of the second claim
// (ES3008 when the spec declares both, ES3021 when either is derived). Two spec nodes that
// clash once clash in most of their derived names too; only the first is reported.
import type { Claim } from '../core/claims.js';
import { domainClaims, kafkaScopeClaims } from '../core/claims.js';
import type { Diagnostics } from '../core/diagnostics.js';
import type { Domain } from '../core/model.js';

export function checkDomainClaims(domain: Domain, diags: Diagnostics): void {
  const reported = new Set<string>();
  claimAll(domainClaims(domain), diags, reported);
  claimAll(kafkaScopeClaims(domain), diags, reported);
}

function claimAll(claims: readonly Claim[], diags: Diagnostics, reported: Set<string>): void {
  const table = new Map<string, Claim>();
  for (const c of claims) {
    const first = table.get(c.name);
    if (!first) {
      table.set(c.name, c);
      continue;
    }
    const pair = [first.owner, c.owner].sort().join('\u0000');
    if (reported.has(pair)) continue;
    reported.add(pair);
    if (first.declared && c.declared) {
      diags.error('ES3008', `duplicate name \`${c.name}\`: ${c.what} has the same name as ${first.what}`, c.at);
    } else {
      diags.error('ES3021', `output name collision: \`${c.name}\` is both ${first.what} and ${c.what}; rename one of them`, c.at);
    }
  }
}
