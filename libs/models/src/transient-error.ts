/**
 * Whether a database error says nothing about the data, only that this attempt failed and another may succeed:
 * serialization failure or deadlock (class 40), lock not available (55P03), a lost or refused connection (class 08),
 * too few resources (class 53), an administrator's cancel or shutdown (57014, 57P01-57P03). A constraint or data
 * error (classes 22, 23) fails the same way every time.
 */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^(40|08|53)/.test(code) || ['55P03', '57014', '57P01', '57P02', '57P03'].includes(code);
}
