// The report formats of `check`, apart from their renderers: the CLI lists them in its options
// without loading the check itself.
export type CheckFormat = 'text' | 'json' | 'github' | 'sarif' | 'gitlab' | 'junit';

export const checkFormats: readonly CheckFormat[] = ['text', 'json', 'github', 'sarif', 'gitlab', 'junit'];
