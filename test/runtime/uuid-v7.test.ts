import { describe, expect, it } from 'vitest';
import { uuidV7 } from '../../generator/runtime/uuid-v7.js';

describe('uuidV7', () => {
  it('is an RFC 9562 version-7 UUID whose first 48 bits are the Unix milliseconds given', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const id = uuidV7(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
    expect(Number.parseInt(uuidV7(0).slice(0, 8), 16)).toBe(0);
    expect(uuidV7(2 ** 48 - 1).slice(0, 13)).toBe('ffffffff-ffff');
  });

  it('sorts by time across milliseconds, and is unique within one (past a refill of its random block)', () => {
    const ids = Array.from({ length: 1_000 }, () => uuidV7(1_700_000_000_000));
    expect(new Set(ids).size).toBe(1_000);
    const later = uuidV7(1_700_000_000_001);
    expect(ids.every((id) => id < later)).toBe(true);
  });
});
