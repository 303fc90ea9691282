// Synthetic specs for benchmarks: `versions` event versions spread over aggregates of 10
// events with up to 3 versions each, fields of every common kind. Deterministic.
export function syntheticSpec(versions) {
  const lines = [
    'domain: com.bench.synthetic',
    'source: urn:bench:synthetic',
    'types:',
    '  Money:',
    '    fields:',
    '      amount: decimal(12,2)',
    '      currency: { type: string, default: USD }',
    '  Line:',
    '    fields: { sku: string, quantity: int, price: Money }',
    'aggregates:',
  ];
  let left = versions;
  for (let a = 0; left > 0; a++) {
    lines.push(`  Agg${a}:`, '    state:', '      count: { type: long, default: 0 }', '    events:');
    for (let e = 0; e < 10 && left > 0; e++) {
      const n = Math.min(3, left);
      left -= n;
      lines.push(`      Agg${a}Thing${e}Happened:`, '        versions:');
      for (let v = 1; v <= n; v++) {
        lines.push('          - fields:', '              id: uuid', '              at: timestamp-millis', '              lines: Line[]', '              note: string?');
        for (let f = 1; f < v; f++) lines.push(`              extra${f}: { type: long, default: ${f} }`);
      }
      lines.push('        apply:', '          count: { increment: 1 }');
    }
  }
  return `${lines.join('\n')}\n`;
}
