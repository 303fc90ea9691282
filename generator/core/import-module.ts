// Every dynamic import() of a package or a file outside the generator goes through here. The
// bundled CLI runs as a vm script (cli/code-cache.ts), where import() has no module loader (and
// Node 20 loses the vm's import callback when the script comes from a code cache), so
// scripts/bundle-cli.mjs swaps this module there for one that calls the launcher's import().
export function importModule<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
