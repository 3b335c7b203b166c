import { MissingDependencyError } from '../errors/classes.js';

const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * True when `error` says `packageName` itself cannot be found (ESM: "Cannot find package 'pg'",
 * CJS: "Cannot find module 'pg'"). A package that is installed but fails to load, or misses one of
 * its own dependencies, is a different problem and must surface as it is.
 */
export function isMissingPackage(error: unknown, packageName: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    typeof code === 'string' &&
    NOT_FOUND_CODES.has(code) &&
    typeof message === 'string' &&
    message.includes(`'${packageName}'`)
  );
}

/**
 * Loads an optional peer dependency on first use. `load` is the literal `() => import('pg')` so
 * bundlers still see the specifier. A missing package becomes a `MissingDependencyError` naming
 * what to install; every other failure is rethrown unchanged.
 */
export async function importOptional<T>(packageName: string, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, packageName)) throw new MissingDependencyError(packageName, feature, { cause: error });
    throw error;
  }
}
