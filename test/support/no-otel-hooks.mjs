// Module hooks for a process that must run as if @opentelemetry/api were not installed: resolving
// it fails as it does for a missing package (test/support/no-otel-worker.ts registers them).
export async function resolve(specifier, context, next) {
  if (specifier === "@opentelemetry/api" || specifier.startsWith("@opentelemetry/api/")) {
    const error = new Error(`Cannot find package '${specifier}'`);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}
