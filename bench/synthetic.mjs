// Synthetic specs for benchmarks: `versions` event versions spread over aggregates of 10
// events with up to 3 versions each, fields of every common kind. Deterministic. With
// `{ flows: true }` each aggregate of at least 3 events also gets a command of 2 versions and a
// saga of 2 steps (started by its first event, answered by its second and third), so `check`
// exercises the command and saga rules too.
export function syntheticSpec(versions, { flows = false } = {}) {
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
  const sagas = [];
  for (let a = 0; left > 0; a++) {
    lines.push(`  Agg${a}:`, '    state:', '      count: { type: long, default: 0 }', '    events:');
    let events = 0;
    for (let e = 0; e < 10 && left > 0; e++) {
      events++;
      const n = Math.min(3, left);
      left -= n;
      lines.push(`      Agg${a}Thing${e}Happened:`, '        versions:');
      for (let v = 1; v <= n; v++) {
        lines.push('          - fields:', '              id: uuid', '              at: timestamp-millis', '              lines: Line[]', '              note: string?');
        for (let f = 1; f < v; f++) lines.push(`              extra${f}: { type: long, default: ${f} }`);
      }
      lines.push('        apply:', '          count: { increment: 1 }');
    }
    if (flows && events >= 3) {
      lines.push('    commands:', `      Do${a}:`, '        versions:', '          - fields: { id: uuid }', '          - fields: { id: uuid, note: { type: string, default: "" } }', `        emits: [Agg${a}Thing1Happened, Agg${a}Thing2Happened]`);
      sagas.push(`  Flow${a}:`, `    startedBy: Agg${a}.Agg${a}Thing0Happened`, '    correlation: aggregateId', '    timeout: PT15M', '    steps:');
      for (const step of ['first', 'second']) {
        sagas.push(`      - name: ${step}`, `        command: Agg${a}.Do${a}`, '        data: { id: $start.id }', `        succeedsOn: Agg${a}.Agg${a}Thing1Happened`, `        failsOn: Agg${a}.Agg${a}Thing2Happened`, '        timeout: PT1M');
      }
    }
  }
  if (sagas.length > 0) lines.push('sagas:', ...sagas);
  return `${lines.join('\n')}\n`;
}
