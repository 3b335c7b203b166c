/** SQLite (better-sqlite3) and PostgreSQL (pg) name the same constraint failures differently. */
function code(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  const value = code(error);
  return value === 'SQLITE_CONSTRAINT_UNIQUE' || value === 'SQLITE_CONSTRAINT_PRIMARYKEY' || value === '23505';
}

export function isForeignKeyViolation(error: unknown): boolean {
  const value = code(error);
  return value === 'SQLITE_CONSTRAINT_FOREIGNKEY' || value === '23503';
}
