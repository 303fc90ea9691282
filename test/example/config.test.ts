// The example service's settings from the environment (generated-example/src/service/config.ts).
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../generated-example/src/service/config.js';

const base = { DATABASE_URL: 'postgres://localhost/x', KAFKA_BROKERS: 'localhost:9092' };

describe('OTEL_SDK_DISABLED', () => {
  it('leaves OpenTelemetry on when unset, empty or anything but "true"', () => {
    for (const value of [undefined, '', 'false', '1', 'yes', 'truthy']) {
      expect(configFromEnv({ ...base, OTEL_SDK_DISABLED: value }).telemetry, String(value)).toBe(true);
    }
  });

  it('turns it off for "true" in any case, as the specification reads it', () => {
    for (const value of ['true', 'TRUE', 'True', ' true ']) {
      expect(configFromEnv({ ...base, OTEL_SDK_DISABLED: value }).telemetry, value).toBe(false);
    }
  });

  it('an override wins over the environment', () => {
    expect(configFromEnv({ ...base, OTEL_SDK_DISABLED: 'true' }, { telemetry: true }).telemetry).toBe(true);
  });
});
