// The output folder's manifest: what generate wrote (the proof of ownership for files that
// cannot carry a header, stale.ts) and the replay record the next generate or validate judges
// replay safety against (check/replay-gate.ts). Apart from the writer, so `validate` reads it
// without loading it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GeneratedFile } from '../core/generated-file.js';
import { parseReplayRecord, type ReplayRecord } from '../check/replay-record.js';

export const manifestName = '.eventsmith-manifest.json';

async function readManifestJson(outDir: string): Promise<object | undefined> {
  const text = await readFile(path.join(outDir, manifestName), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function readManifest(outDir: string): Promise<string[]> {
  const parsed = await readManifestJson(outDir);
  const files = parsed !== undefined && 'files' in parsed ? parsed.files : undefined;
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
}

/** The replay record the previous `generate` left in `outDir` (none: no history to judge against). */
export async function readPreviousReplay(outDir: string): Promise<ReplayRecord | undefined> {
  const parsed = await readManifestJson(outDir);
  return parsed !== undefined && 'replay' in parsed ? parseReplayRecord(parsed.replay) : undefined;
}

export function manifestText(files: readonly GeneratedFile[], replay: ReplayRecord | undefined): string {
  const generated = files.filter((f) => !f.userOwned).map((f) => f.path).sort();
  return `${JSON.stringify({ generator: 'eventsmith', files: generated, ...(replay !== undefined ? { replay } : {}) }, null, 2)}\n`;
}
