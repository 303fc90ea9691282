// A logger for tests that keeps what it is given.
import type { LogFields, Logger } from '../../generator/runtime/index.js';

export interface RecordedLine {
  readonly level: keyof Logger;
  readonly fields: LogFields;
  readonly message: string;
}

export function recordingLogger(): Logger & { readonly lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const at = (level: keyof Logger) => (fields: LogFields, message: string) => void lines.push({ level, fields, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
