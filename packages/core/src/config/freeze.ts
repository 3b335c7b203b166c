/** Freezes plain objects and arrays all the way down (functions and frozen values are left as they are). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return Object.freeze(value);
}

/**
 * A Map cannot be frozen (`set` still works on a frozen Map), so configuration exposes this
 * frozen read-only view instead: there is no reference to the backing Map to mutate.
 */
export function readonlyMap<K, V>(entries: Iterable<readonly [K, V]>): ReadonlyMap<K, V> {
  const map = new Map<K, V>(entries);
  const view: ReadonlyMap<K, V> = {
    get size() {
      return map.size;
    },
    get: (key) => map.get(key),
    has: (key) => map.has(key),
    forEach(callback, thisArg?: unknown) {
      map.forEach((value, key) => callback.call(thisArg, value, key, view));
    },
    entries: () => map.entries(),
    keys: () => map.keys(),
    values: () => map.values(),
    [Symbol.iterator]: () => map[Symbol.iterator](),
  };
  // Logged or serialised, the view reads like the entries it holds.
  Object.defineProperty(view, 'toJSON', {
    value: () => Object.fromEntries([...map].map(([key, value]) => [String(key), value])),
    enumerable: false,
  });
  return Object.freeze(view);
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Keeps secrets out of logs: `JSON.stringify` and `util.inspect` (hence `console.log`) of the
 * object show `[redacted]` for the named keys. Property access is unchanged.
 */
export function redactSecrets<T extends object>(value: T, keys: readonly (keyof T)[]): T {
  const redacted = (): Record<PropertyKey, unknown> => {
    const copy: Record<PropertyKey, unknown> = { ...(value as object) };
    for (const key of keys) {
      if (copy[key] !== null && copy[key] !== undefined) copy[key] = '[redacted]';
    }
    return copy;
  };
  Object.defineProperty(value, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(value, INSPECT, {
    value: (_depth: number, options: object, inspect: (value: unknown, options: object) => string) =>
      inspect(redacted(), options),
    enumerable: false,
  });
  return value;
}
