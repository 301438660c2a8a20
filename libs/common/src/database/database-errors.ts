/**
 * Which database errors are worth waiting out at start-up. A database that is not up yet, restarting or full of
 * connections may come back; a missing permission, a wrong password or a missing database will not, and the
 * operator should hear about it at once rather than after half a minute of retries.
 */

/** SQLSTATE classes and codes of transient conditions: connection exceptions, shutdown in progress, too many connections. */
const TRANSIENT_SQLSTATES = /^(08...|57P01|57P02|57P03|53300)$/;
const TRANSIENT_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
]);

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null | undefined;
  const code = e?.code ?? e?.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether start-up should try the database again after this error. */
export function isTransientDatabaseError(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined) return TRANSIENT_SQLSTATES.test(code) || TRANSIENT_SYSCALL_CODES.has(code);
  // The pg driver reports a dropped or timed-out connection without a code.
  const message = err instanceof Error ? err.message : String(err);
  return /Connection terminated|connection timeout|timeout expired|Connection refused/i.test(message);
}

/** What an operator should do about a database error that stops start-up, when we know. */
export function databaseErrorAdvice(err: unknown): string | undefined {
  switch (codeOf(err)) {
    case '42501':
      return 'the database role lacks a privilege: it must own the database, or have CREATE on schema public (see docs/distributed.md)';
    case '28P01':
    case '28000':
      return 'PostgreSQL refused the credentials in DATABASE_URL';
    case '3D000':
      return 'the database named in DATABASE_URL does not exist: create it (see docs/distributed.md)';
    default:
      return undefined;
  }
}

/** `host:port/database as user` for logs: never the password or the query string's secrets. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const socketDir = u.searchParams.get('host');
    const where = socketDir ?? `${u.hostname || 'localhost'}:${u.port || '5432'}`;
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default)';
    const user = u.username ? ` as ${decodeURIComponent(u.username)}` : '';
    return `${where}/${database}${user}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
