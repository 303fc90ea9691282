// `eventsmith init`: a starter configuration and spec in the working directory.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultConfigFile, displayPath } from './project.js';
import { starterConfig, starterSpec } from './starter.js';
import { exitCodes, type Io } from './io.js';

export async function runInit(io: Io, opts: { force?: boolean }): Promise<number> {
  const targets = [
    { file: path.resolve(defaultConfigFile), content: starterConfig },
    { file: path.resolve('events', 'shop.yaml'), content: starterSpec },
  ];
  const clash = targets.filter((t) => existsSync(t.file));
  if (clash.length && !opts.force) {
    io.err(`eventsmith init: ${clash.map((t) => displayPath(t.file)).join(', ')} already exist${clash.length === 1 ? 's' : ''}; nothing written (use --force to overwrite)\n`);
    return exitCodes.invalid;
  }
  for (const t of targets) {
    await mkdir(path.dirname(t.file), { recursive: true });
    await writeFile(t.file, t.content);
    io.out(`wrote ${displayPath(t.file)}\n`);
  }
  io.out('next: npx eventsmith generate\n');
  return exitCodes.ok;
}
