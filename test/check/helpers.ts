import { checkModels, type CheckReport } from '../../generator/check/index.js';
import { analyse } from '../../generator/pipeline.js';

/** One spec text (file `t.yaml`) or several files by name. */
export type Specs = string | Readonly<Record<string, string>>;

export function analysed(specs: Specs, what: string): { model: NonNullable<ReturnType<typeof analyse>['model']>; specs: ReturnType<typeof analyse>['specs'] } {
  const files = typeof specs === 'string' ? { 't.yaml': specs } : specs;
  const r = analyse(Object.entries(files).map(([file, text]) => ({ file, text })), { modeGate: false });
  if (!r.model) throw new Error(`${what} spec is invalid:\n${r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`).join('\n')}`);
  return { model: r.model, specs: r.specs };
}

export function check(baseline: Specs, current: Specs): CheckReport {
  return checkModels(analysed(baseline, 'baseline'), analysed(current, 'current'));
}

/** Replaces each `from` (which must occur exactly once) with `to`. */
export function edit(text: string, ...pairs: readonly (readonly [string, string])[]): string {
  let out = text;
  for (const [from, to] of pairs) {
    const at = out.indexOf(from);
    if (at < 0 || out.indexOf(from, at + 1) >= 0) throw new Error(`edit: ${JSON.stringify(from)} must occur exactly once`);
    out = out.slice(0, at) + to + out.slice(at + from.length);
  }
  return out;
}

/**
 * The spec every case edits. Line numbers matter to the expectations:
 *  3 compatibility, 5 Money, 8 Money.currency, 9 aggregates, 10 Order, 11 its topic,
 * 12 its events, 13 OrderPlaced, 14 its versions, 15 v1 (`- fields:`), 16 customerId, 17 total,
 * 18 OrderShipped, 21 Inventory, 22 its id, 23 its events, 24 StockReserved.
 */
export const base = `domain: com.example.t
source: urn:example:t
compatibility: BACKWARD
types:
  Money:
    fields:
      amount: decimal(12,2)
      currency: { type: string, default: USD }
aggregates:
  Order:
    topic: orders
    events:
      OrderPlaced:
        versions:
          - fields:
              customerId: string
              total: Money
      OrderShipped:
        versions:
          - fields: { at: timestamp-millis }
  Inventory:
    id: string
    events:
      StockReserved:
        versions:
          - fields: { sku: string, quantity: int }
`;

/** `base` with OrderPlaced v2 appended after v1 (lines 18–21; OrderShipped moves to line 22). */
export function withV2(fields: string, mode = 'BACKWARD', extra = ''): string {
  return edit(
    base,
    ['compatibility: BACKWARD', `compatibility: ${mode}`],
    ['              total: Money\n', `              total: Money\n          - fields:\n${fields}${extra}`],
  );
}
