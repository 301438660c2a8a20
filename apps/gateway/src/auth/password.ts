import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/*
 * Passwords are hashed with scrypt (N=2^15, r=8, p=1; ~100 ms and 32 MiB per hash), run on libuv's thread pool,
 * never on the event loop. Stored as `scrypt$N$r$p$<salt b64>$<hash b64>` so parameters can rise later.
 */
const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  const key = await derive(password, salt, n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Mattermost's default password rule: 8 to 72 characters (72 is bcrypt's limit, kept for compatibility). */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'password is required';
  if (password.length < 8) return 'Your password must contain at least 8 characters.';
  if (password.length > 72) return 'Your password must contain no more than 72 characters.';
  return undefined;
}
