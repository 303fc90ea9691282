// Typed entry point to the throwaway schema registry for tests: the logic is in
// generator/dev/registry.mjs, which the package ships for `eventsmith dev`.
export * from '../../generator/dev/registry.mjs';
