// One table per namespace of output names. Two names the spec declares in the same namespace
// are a duplicate (ES3008); a clash involving a derived name (`OrderState`, `OrderPlacedV2`,
// an inline enum, a CloudEvents type, an output folder) is an output collision (ES3021).
import type { Diagnostics } from '../core/diagnostics.js';
import type { SourceLocation } from '../core/model.js';

interface Entry {
  readonly what: string;
  readonly declared: boolean;
}

export class NameTable {
  private readonly entries = new Map<string, Entry>();

  /** Registers `name`; reports at `site` when an earlier registration holds it. Returns false then. */
  constructor(private readonly diags: Diagnostics) {}

  add(name: string, what: string, declared: boolean, at: SourceLocation): boolean {
    const first = this.entries.get(name);
    if (!first) {
      this.entries.set(name, { what, declared });
      return true;
    }
    if (first.declared && declared) {
      this.diags.error('ES3008', `duplicate name \`${name}\`: ${what} has the same name as ${first.what}`, at);
    } else {
      this.diags.error('ES3021', `output name collision: \`${name}\` is both ${first.what} and ${what}; rename one of them`, at);
    }
    return false;
  }
}
