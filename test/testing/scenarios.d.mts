/** Kit scenarios (scenarios.mjs): each throws when a kit misbehaves. */
export declare const scenarios: Readonly<Record<string, () => void>>;
