// ajv options of the two schemas, shared by the run-time compile (validate/index.ts,
// cli/project.ts) and the build-time one (scripts/precompile.mjs), so both make the same validators.

/**
 * Keywords that only editors read (VS Code / yaml-language-server extensions). Declared so
 * ajv's strict mode still rejects every other unknown keyword, which is how typos in the
 * schema itself are caught.
 */
export const editorKeywords = ['markdownDescription', 'markdownEnumDescriptions', 'patternErrorMessage', 'errorMessage', 'defaultSnippets'] as const;

export const specValidatorOptions = { allErrors: true, verbose: true, strict: true } as const;

export const configValidatorOptions = { allErrors: true, strict: false } as const;
