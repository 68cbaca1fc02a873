/** Postgres' unique_violation, as the driver reports it or as drizzle wraps it (in `cause`). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (value: unknown) => (value as { code?: unknown } | undefined)?.code;
  return code(error) === "23505" || code((error as { cause?: unknown } | undefined)?.cause) === "23505";
}
