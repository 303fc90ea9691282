// The `yaml` library, loaded on first use: specs in the subset load/fast-yaml.ts reads (most of
// them) never need it, and loading it took ~30 ms of every run.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

export type YamlLib = typeof Yaml;

const require = createRequire(import.meta.url);

export function yamlLib(): YamlLib {
  return require('yaml') as YamlLib;
}
