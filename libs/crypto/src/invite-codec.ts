import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ConcurrencyLimit } from './concurrency-limit';
import { isValidId } from './ids';
import { KdfPool } from './kdf-pool';

/**
 * Mattermost's secure-connection invitation code (protocol reference §1):
 * base64url-with-padding( salt(16) ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16) ), key from the password by
 * PBKDF2-HMAC-SHA256 (600,000 iterations) for version ≥ 3, or scrypt (N=32768, r=8, p=1) for older invites.
 * Both KDFs run on worker threads of low CPU priority (`KdfPool`): a KDF never blocks the event loop, nor
 * takes a core from it. At most KDF_CONCURRENCY of them run at once (one core fewer than the machine has, at least
 * one): many invitations at once are then accepted one after another instead of side by side.
 */

export interface RemoteClusterInvite {
  remote_id: string;
  remote_team_id: string;
  site_url: string;
  token: string;
  refreshed_token?: string;
  version?: number;
}

export const INVITE_VERSION = 3;

/** The inviter refuses a confirmation that comes later than this after it created the invitation. */
export const INVITE_EXPIRES_AFTER_MS = 48 * 3600 * 1000;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const PBKDF2_ITERATIONS = 600_000;
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
/** Key derivations running at once in this process (each takes a core for ~0.1–0.3 s). */
export const KDF_CONCURRENCY = Math.max(1, availableParallelism() - 1);
const kdfs = new ConcurrencyLimit(KDF_CONCURRENCY);
const kdfWorkers = new KdfPool(KDF_CONCURRENCY);

/** The nice values of the key-derivation threads started so far in this process (KDF_WORKER_NICE where allowed). */
export function kdfThreadNiceValues(): Promise<number[]> {
  return kdfWorkers.niceValues();
}

export type InviteErrorCode = 'api.remote_cluster.base64_decode_error' | 'api.remote_cluster.invite_decrypt_error';

export class InviteCodecError extends Error {
  constructor(
    readonly code: InviteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InviteCodecError';
  }
}

export function deriveKeyPbkdf2(password: string, salt: Buffer): Promise<Buffer> {
  const password_ = Buffer.from(password, 'utf8');
  return kdfs.run(() =>
    kdfWorkers.derive({ kind: 'pbkdf2', password: password_, salt, iterations: PBKDF2_ITERATIONS, keyBytes: KEY_BYTES, digest: 'sha256' }),
  );
}

export function deriveKeyScrypt(password: string, salt: Buffer): Promise<Buffer> {
  const password_ = Buffer.from(password, 'utf8');
  return kdfs.run(() => kdfWorkers.derive({ kind: 'scrypt', password: password_, salt, keyBytes: KEY_BYTES, options: SCRYPT }));
}

/** Test seam: fixed salt and nonce make encryption deterministic for known-answer tests. */
export interface EncryptOptions {
  salt?: Buffer;
  nonce?: Buffer;
}

/** Encrypts an invitation; `version` < 3 uses scrypt for peers that predate PBKDF2 invites. */
export async function encryptInvite(invite: RemoteClusterInvite, password: string, options: EncryptOptions = {}): Promise<string> {
  const version = invite.version ?? INVITE_VERSION;
  const plaintext = Buffer.from(JSON.stringify({ ...invite, version }), 'utf8');
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const nonce = options.nonce ?? randomBytes(NONCE_BYTES);
  const key = version >= 3 ? await deriveKeyPbkdf2(password, salt) : await deriveKeyScrypt(password, salt);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const sealed = Buffer.concat([salt, nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return toBase64UrlPadded(sealed);
}

/** Decrypts an invitation code: PBKDF2 first, then scrypt for legacy codes; validates the result. */
export async function decryptInvite(code: string, password: string): Promise<RemoteClusterInvite> {
  const raw = fromBase64Url(code);
  if (raw.length <= SALT_BYTES + NONCE_BYTES + TAG_BYTES) {
    throw new InviteCodecError('api.remote_cluster.invite_decrypt_error', 'invitation code is too short');
  }
  const salt = raw.subarray(0, SALT_BYTES);
  const nonce = raw.subarray(SALT_BYTES, SALT_BYTES + NONCE_BYTES);
  const ciphertext = raw.subarray(SALT_BYTES + NONCE_BYTES, raw.length - TAG_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  for (const derive of [deriveKeyPbkdf2, deriveKeyScrypt]) {
    const plaintext = open(await derive(password, salt), nonce, ciphertext, tag);
    if (plaintext) return parseInvite(plaintext);
  }
  throw new InviteCodecError('api.remote_cluster.invite_decrypt_error', 'wrong password or corrupted invitation code');
}

function open(key: Buffer, nonce: Buffer, ciphertext: Buffer, tag: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

function parseInvite(plaintext: Buffer): RemoteClusterInvite {
  let value: Partial<RemoteClusterInvite>;
  try {
    value = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new InviteCodecError('api.remote_cluster.invite_decrypt_error', 'invitation is not valid JSON');
  }
  if (
    !value ||
    typeof value !== 'object' ||
    !isValidId(value.remote_id) ||
    typeof value.token !== 'string' ||
    value.token === '' ||
    !isRequestUri(value.site_url)
  ) {
    throw new InviteCodecError('api.remote_cluster.invite_decrypt_error', 'invitation is missing a valid remote_id, token or site_url');
  }
  return {
    remote_id: value.remote_id,
    remote_team_id: typeof value.remote_team_id === 'string' ? value.remote_team_id : '',
    site_url: value.site_url,
    token: value.token,
    ...(typeof value.refreshed_token === 'string' && value.refreshed_token ? { refreshed_token: value.refreshed_token } : {}),
    ...(typeof value.version === 'number' ? { version: value.version } : {}),
  };
}

/** Go's url.ParseRequestURI accepts absolute URLs and absolute paths; peers need an absolute http(s) URL. */
function isRequestUri(value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Go's base64.URLEncoding: URL-safe alphabet with `=` padding (Node's base64url drops the padding). */
export function toBase64UrlPadded(data: Buffer): string {
  const unpadded = data.toString('base64url');
  return unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4);
}

/** Accepts URL-safe base64, padded or not (be liberal in what you accept); refuses other alphabets. */
export function fromBase64Url(code: string): Buffer {
  const text = code.trim();
  const badPadding = text.includes('=') && text.length % 4 !== 0;
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text) || badPadding || text.replace(/=+$/, '').length % 4 === 1) {
    throw new InviteCodecError('api.remote_cluster.base64_decode_error', 'invitation code is not URL-safe base64');
  }
  return Buffer.from(text.replace(/=+$/, ''), 'base64url');
}
