// generate and validate run check's compatibility engine over every version (ES3032, rule
// MODE_VIOLATION), so a breaking v2 fails on the developer's machine; an allowBreaking entry
// with a reason lets a deliberate break through; check itself still reports it as a finding.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../generator/core/diagnostics.js';
import { analyse } from '../../generator/pipeline.js';
import { runCli } from '../cli/run-cli.js';

const spec = (mode: string, v2: string, extra = ''): string => `domain: com.acme.shop
source: urn:acme:shop
compatibility: ${mode}
aggregates:
  Cart:
    events:
      ItemAdded:
        versions:
          - fields: { sku: string }
          - fields:
              sku: string
${v2}
    commands:
      AddItem:
        versions:
          - fields: { sku: string }
          - fields: { sku: string, quantity: int }
            upcast: { quantity: 1 }
${extra}        emits: [ItemAdded]
`;
const required = '              quantity: int\n            upcast: { quantity: 1 }';
const optional = '              quantity: { type: int, default: 1 }';
const commandAllowed = '            allowBreaking: [ { rule: MODE_VIOLATION, reason: all senders upgrade together } ]\n';

const errors = (text: string): string[] => analyse([{ file: 'shop.yaml', text }]).diagnostics.map(formatDiagnostic);

describe('the compatibility gate of generate and validate', () => {
  it('refuses a new required field under BACKWARD, at the field, with the rule id; events and commands alike', () => {
    expect(errors(spec('BACKWARD', required))).toEqual([
      'shop.yaml:12:15 - error ES3032: Cart.ItemAdded v2 is not BACKWARD compatible with v1: v2 cannot read data written as v1: field `quantity` is not in v1 and has no default in v2 (READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1) (MODE_VIOLATION); if the break is deliberate, give this version `allowBreaking: [{ rule: MODE_VIOLATION, reason: … }]`',
      'shop.yaml:18:36 - error ES3032: command Cart.AddItem v2 is not BACKWARD compatible with v1: v2 cannot read data written as v1: field `quantity` is not in v1 and has no default in v2 (READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1) (MODE_VIOLATION); if the break is deliberate, give this version `allowBreaking: [{ rule: MODE_VIOLATION, reason: … }]`',
    ]);
  });

  it('accepts a compatible evolution, and anything under NONE', () => {
    expect(errors(spec('BACKWARD', optional, commandAllowed))).toEqual([]);
    expect(errors(spec('NONE', required))).toEqual([]);
  });

  it('lets a deliberate break through with an allowBreaking entry on the version, or a top-level one with its path', () => {
    const onVersion = `${required}\n            allowBreaking:\n              - rule: MODE_VIOLATION\n                reason: v1 was never published outside staging.`;
    expect(errors(spec('BACKWARD', onVersion, commandAllowed))).toEqual([]);
    const topLevel = `${spec('BACKWARD', required, commandAllowed)}allowBreaking:\n  - rule: MODE_VIOLATION\n    path: aggregates.Cart.events.ItemAdded.versions[1]\n    reason: v1 was never published outside staging.\n`;
    expect(errors(topLevel)).toEqual([]);
    // An entry for another rule does not cover it.
    const otherRule = `${required}\n            allowBreaking: [ { rule: PUBLISHED_VERSION_CHANGED, reason: not this one } ]`;
    expect(errors(spec('BACKWARD', otherRule, commandAllowed)).map((e) => e.split(' - ')[0])).toEqual(['shop.yaml:12:15']);
  });

  it('under a _TRANSITIVE mode checks against every earlier version and names each that conflicts', () => {
    const text = spec('FORWARD_TRANSITIVE', optional, commandAllowed).replace(
      '    commands:',
      '          - fields: { quantity: { type: int, default: 1 } }\n    commands:',
    );
    expect(errors(text)).toEqual([
      expect.stringContaining('Cart.ItemAdded v3 is not FORWARD_TRANSITIVE compatible with v1: v1 cannot read data written as v3'),
      expect.stringContaining('Cart.ItemAdded v3 is not FORWARD_TRANSITIVE compatible with v2: v2 cannot read data written as v3'),
    ]);
  });

  describe('through the CLI', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eventsmith-mode-gate-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(path.join(dir, 'events'));
    writeFileSync(path.join(dir, 'events', 'shop.yaml'), spec('BACKWARD', required, commandAllowed));

    it('validate and generate exit 2 and write nothing', () => {
      const validated = runCli(['validate'], dir);
      expect(validated.code).toBe(2);
      expect(validated.stderr).toMatch(/^events\/shop\.yaml:12:15 - error ES3032: .*\(MODE_VIOLATION\)/);
      const generated = runCli(['generate', '--out', 'out'], dir);
      expect(generated.code).toBe(2);
      expect(generated.stderr).toBe(validated.stderr);
    });

    it('check still reports it as a MODE_VIOLATION finding (exit 1), not as invalid input', () => {
      const base = path.join(dir, 'base.yaml');
      writeFileSync(base, spec('BACKWARD', required, commandAllowed).replace(/          - fields:\n              sku: string\n[^]*?(?=    commands:)/, ''));
      const checked = runCli(['check', '--against', base], dir);
      expect(checked.stderr).toMatch(/^events\/shop\.yaml:12:15: Cart\.ItemAdded v2 is not BACKWARD compatible with v1: .*\(MODE_VIOLATION\)$/m);
      expect(checked.code).toBe(1);
    });
  });
});
