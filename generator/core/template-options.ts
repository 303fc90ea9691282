// Handlebars compile options, shared by the run-time compile (core/templates.ts) and the
// build-time one (scripts/precompile.mjs), so precompiled templates behave as compiled ones.
// noEscape: we print code, not HTML. strict: a typo in a user's override fails loudly.
export const templateCompileOptions = { noEscape: true, strict: true } as const;
