// The one check of generated names: every claim of core/claims.ts goes into one table per
// module scope, and a name claimed twice is a diagnostic at the spec line of the second claim
// (ES3008 when the spec declares both, ES3021 when either is derived). Two spec nodes that
// clash once clash in most of their derived names too; only the first is reported.
import type { Claim } from '../core/claims.js';
import { domainClaims, kafkaScopeClaims, testingScopeClaims } from '../core/claims.js';
import type { Diagnostics } from '../core/diagnostics.js';
import type { Domain } from '../core/model.js';
import { avscName, domainSlug, maxFileNameBytes } from '../core/names.js';

export function checkDomainClaims(domain: Domain, diags: Diagnostics): void {
  const reported = new Set<string>();
  claimAll(domainClaims(domain), diags, reported);
  claimAll(kafkaScopeClaims(domain), diags, reported);
  claimAll(testingScopeClaims(domain), diags, reported);
  checkFileNames(domain, diags);
}

/** Names of generated files and folders must fit a file system's name limit, or the write would fail half-way. */
function checkFileNames(domain: Domain, diags: Diagnostics): void {
  const tooLong = (name: string): boolean => Buffer.byteLength(name) > maxFileNameBytes;
  const slug = domainSlug(domain.name);
  if (tooLong(slug)) {
    diags.error('ES4005', `the output folder \`${slug.slice(0, 40)}…\` (the domain's last segment) is ${Buffer.byteLength(slug)} bytes; file systems allow ${maxFileNameBytes}`, domain.loc);
  }
  for (const a of domain.aggregates) {
    for (const m of [...a.events, ...a.commands]) {
      const last = m.versions[m.versions.length - 1];
      if (!last) continue;
      const file = avscName(m.ceType, last.version);
      if (tooLong(file)) {
        diags.error('ES4005', `the schema file name \`${file.slice(0, 40)}…\` is ${Buffer.byteLength(file)} bytes; file systems allow ${maxFileNameBytes}: shorten the domain, aggregate or ${m.kind} name`, m.loc);
      }
    }
  }
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
