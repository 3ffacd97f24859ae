/**
 * The wrapper every store adapter puts around its ports: each method's
 * thrown or rejected error goes through the adapter's `translate` (its
 * engine's storage faults -> StorageUnavailableError, in its errors.ts and
 * nowhere else). Synchronous results stay synchronous (the embedded append
 * path adds no tick).
 */
export function translateFaults<T extends object>(port: T, translate: (err: unknown) => unknown): T {
  const rethrow = (err: unknown): never => {
    throw translate(err);
  };
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(port)) {
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method.apply(port, args);
      } catch (err) {
        rethrow(err);
      }
      return result instanceof Promise ? result.catch(rethrow) : result;
    };
  }
  return wrapped as T;
}
