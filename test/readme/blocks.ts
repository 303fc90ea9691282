// The fenced code blocks of README.md, with the `<!-- tutorial: FILE -->` marker before a block
// naming the docs/tutorial/ file it shows.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.join(import.meta.dirname, '..', '..');
export const tutorialDir = path.join(repoRoot, 'docs', 'tutorial');

export interface ReadmeBlock {
  readonly lang: string;
  readonly body: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The docs/tutorial/ file a marker right before the block names. */
  readonly tutorialFile?: string;
}

export function readmeBlocks(text: string = readFileSync(path.join(repoRoot, 'README.md'), 'utf8')): ReadmeBlock[] {
  const lines = text.split('\n');
  const blocks: ReadmeBlock[] = [];
  let marker: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = /^<!-- tutorial: (\S+) -->$/.exec(line);
    if (m) {
      marker = m[1];
      continue;
    }
    const open = /^```(\S*)\s*$/.exec(line);
    if (!open) {
      if (line.trim() !== '') marker = undefined;
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i] as string);
    blocks.push({ lang: open[1] ?? '', body: body.length > 0 ? `${body.join('\n')}\n` : '', line: start + 1, ...(marker ? { tutorialFile: marker } : {}) });
    marker = undefined;
  }
  return blocks;
}

/** The README block that shows docs/tutorial/`file`. */
export function tutorialBlock(file: string, blocks: readonly ReadmeBlock[] = readmeBlocks()): string {
  const found = blocks.filter((b) => b.tutorialFile === file);
  if (found.length !== 1) throw new Error(`README.md shows docs/tutorial/${file} ${found.length} times`);
  return (found[0] as ReadmeBlock).body;
}
