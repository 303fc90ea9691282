// The import block every emitter renders: sorted, de-duplicated, type-only-aware, and broken into
// one name per line when a single line would pass the width of the generated code.
import { describe, expect, it } from 'vitest';
import { Imports } from '../../generator/core/generated-file.js';

function render(add: (i: Imports) => void): string {
  const i = new Imports();
  add(i);
  return i.render();
}

describe('Imports.render', () => {
  it('packages first, then relative modules, each sorted; type-only when nothing is a value', () => {
    const text = render((i) => {
      i.type('./types.js', 'OrderState');
      i.value('./avro.js', 'orderPlacedV1Codec');
      i.type('eventsmith/runtime', 'CloudEvent');
      i.value('eventsmith/runtime', 'makeEnvelope');
      i.type('./types.js', 'OrderEvent');
    });
    expect(text).toBe(
      [
        "import { type CloudEvent, makeEnvelope } from 'eventsmith/runtime';",
        "import { orderPlacedV1Codec } from './avro.js';",
        "import type { OrderEvent, OrderState } from './types.js';",
      ].join('\n'),
    );
  });

  it('a name used as a value and as a type is imported as a value', () => {
    expect(render((i) => (i.type('./a.js', 'X'), i.value('./a.js', 'X')))).toBe("import { X } from './a.js';");
  });

  it('keeps a line of exactly 100 characters', () => {
    // `import type { … } from './types.js';` is 35 characters around the name.
    const name = `N${'x'.repeat(64)}`;
    const text = render((i) => i.type('./types.js', name));
    expect(text).toBe(`import type { ${name} } from './types.js';`);
    expect(text).toHaveLength(100);
  });

  it('breaks a longer line into one name per line, in the same order', () => {
    const name = `N${'x'.repeat(65)}`;
    expect(render((i) => i.type('./types.js', name))).toBe(`import type {\n  ${name},\n} from './types.js';`);
    const text = render((i) => {
      for (const n of ['Delta', 'alpha', 'Charlie', 'Bravo', 'EchoEchoEchoEchoEchoEcho', 'FoxtrotFoxtrotFoxtrot']) i.value('eventsmith/runtime', n);
      i.type('eventsmith/runtime', 'AvroCodec');
      i.type('./types.js', 'A');
    });
    expect(text).toBe(
      [
        'import {',
        '  type AvroCodec,',
        '  Bravo,',
        '  Charlie,',
        '  Delta,',
        '  EchoEchoEchoEchoEchoEcho,',
        '  FoxtrotFoxtrotFoxtrot,',
        '  alpha,',
        "} from 'eventsmith/runtime';",
        "import type { A } from './types.js';",
      ].join('\n'),
    );
  });

  it('is the same whatever order the names were recorded in', () => {
    const names = Array.from({ length: 12 }, (_, k) => `OrderPlacedV${k}`);
    const a = render((i) => names.forEach((n) => i.type('./types.js', n)));
    const b = render((i) => [...names].reverse().forEach((n) => i.type('./types.js', n)));
    expect(a).toBe(b);
    expect(a.split('\n').every((l) => l.length <= 100)).toBe(true);
  });
});
