// `node --import ./bench/hide-otel-api.mjs …`: @opentelemetry/api cannot be resolved, as for a
// user who did not install the optional peer dependency (bench/telemetry.mjs, mode `off`).
import { register } from 'node:module';

const hook = `export async function resolve(specifier, context, next) {
  if (specifier === '@opentelemetry/api' || specifier.startsWith('@opentelemetry/api/')) {
    const err = new Error("Cannot find package '@opentelemetry/api' (hidden by bench/hide-otel-api.mjs)");
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
