// What every command writes to and exits with. Exit codes are part of the contract: 0 ok, 1
// `generate --check`/`compat`/`check` found a problem, 2 invalid input or usage, 3 internal error.
import type { Diagnostic } from '../core/diagnostics.js';
import { renderDiagnostics } from './report.js';

export const exitCodes = { ok: 0, failed: 1, invalid: 2, internal: 3 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

export type Format = 'text' | 'json';

export function report(io: Io, diagnostics: readonly Diagnostic[], format: Format, sources: ReadonlyMap<string, string> = new Map()): void {
  const text = renderDiagnostics(diagnostics, { format, frames: io.isTTY && format === 'text', sources });
  if (format === 'json') io.out(text);
  else if (text) io.err(text);
}

export function sourcesOf(specs: readonly { file: string; source: string }[]): Map<string, string> {
  return new Map(specs.map((s) => [s.file, s.source]));
}
