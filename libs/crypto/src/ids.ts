import { randomBytes } from 'node:crypto';

/** Mattermost's base32 alphabet for ids (not RFC 4648's). */
const ID_ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** Encodes bytes as unpadded base32 in Mattermost's alphabet. */
export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ID_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ID_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** A new Mattermost id: 16 random bytes as 26 base32 characters. */
export function newId(): string {
  return encodeBase32(randomBytes(16));
}

const ID_PATTERN = /^[a-z0-9]{26}$/;

/** Mattermost's validity test for ids: 26 lowercase alphanumerics. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
