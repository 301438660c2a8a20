import nodeCrypto, { createCipheriv } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import {
  decryptInvite,
  deriveKeyPbkdf2,
  deriveKeyScrypt,
  encryptInvite,
  fromBase64Url,
  InviteCodecError,
  KDF_CONCURRENCY,
  RemoteClusterInvite,
  toBase64UrlPadded,
} from './invite-codec';
import { KDF_WORKER_NICE, KdfPool } from './kdf-pool';

const PASSWORD = 'pässwörd 123';
const SALT = Buffer.from([...Array(16).keys()]);
const NONCE = Buffer.from('cafebabefacedbaddecaf888', 'hex');
const INVITE: RemoteClusterInvite = {
  remote_id: 'ybndrfg8ejkmcpqxot1uwisza3',
  remote_team_id: '',
  site_url: 'https://chat.example.com',
  token: 'ejkmcpqxot1uwisza345h769yb',
  version: 3,
};

jest.setTimeout(30_000);

describe('invitation KDFs (expected keys computed independently with Python hashlib)', () => {
  it('derives the PBKDF2-HMAC-SHA256 key with 600,000 iterations over the raw UTF-8 password', async () => {
    expect((await deriveKeyPbkdf2(PASSWORD, SALT)).toString('hex')).toBe(
      'efc355ad6a9d87690f9a67f71de5e31c3ffb80a2f390859b04fb531aa0a347d9',
    );
  });

  it('derives the legacy scrypt key (N=32768, r=8, p=1)', async () => {
    expect((await deriveKeyScrypt(PASSWORD, SALT)).toString('hex')).toBe(
      '94e3124333a50c35835c3de4ff1a01df965d3d070813ffa1bcae2969467f957a',
    );
  });
});

describe('AES-256-GCM as used by the codec', () => {
  it('matches the GCM specification known answer (AES-256, test case 15, no AAD)', () => {
    const key = Buffer.from('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308', 'hex');
    const plain = Buffer.from(
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255',
      'hex',
    );
    const cipher = createCipheriv('aes-256-gcm', key, NONCE);
    const out = Buffer.concat([cipher.update(plain), cipher.final()]);
    expect(out.toString('hex')).toBe(
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad',
    );
    expect(cipher.getAuthTag().toString('hex')).toBe('b094dac5d93471bdec1a502270e3cc6c');
  });
});

describe('invitation codes', () => {
  it('lays out salt ‖ nonce ‖ ciphertext ‖ tag in padded URL-safe base64', async () => {
    const code = await encryptInvite(INVITE, PASSWORD, { salt: SALT, nonce: NONCE });
    expect(code).toMatch(/^[A-Za-z0-9_-]+={0,2}$/);
    expect(code.length % 4).toBe(0);
    const raw = fromBase64Url(code);
    expect(raw.subarray(0, 16)).toEqual(SALT);
    expect(raw.subarray(16, 28)).toEqual(NONCE);
    const plaintextLength = Buffer.byteLength(JSON.stringify(INVITE));
    expect(raw.length).toBe(16 + 12 + plaintextLength + 16);
    await expect(decryptInvite(code, PASSWORD)).resolves.toEqual(INVITE);
  });

  it('reads a version-2 (scrypt) invitation from an older peer', async () => {
    const legacy = { ...INVITE, version: 2 };
    const code = await encryptInvite(legacy, PASSWORD);
    await expect(decryptInvite(code, PASSWORD)).resolves.toEqual(legacy);
  });

  it('accepts a code without padding, as Node or a sloppy copy would give it', async () => {
    const code = await encryptInvite(INVITE, PASSWORD);
    await expect(decryptInvite(code.replace(/=+$/, ''), PASSWORD)).resolves.toEqual(INVITE);
  });

  it('refuses a wrong password, a corrupted or truncated code, and the standard base64 alphabet', async () => {
    const code = await encryptInvite(INVITE, PASSWORD);
    await expect(decryptInvite(code, 'wrong password')).rejects.toMatchObject({ code: 'api.remote_cluster.invite_decrypt_error' });
    const raw = fromBase64Url(code);
    raw[40] ^= 1;
    await expect(decryptInvite(toBase64UrlPadded(raw), PASSWORD)).rejects.toMatchObject({
      code: 'api.remote_cluster.invite_decrypt_error',
    });
    await expect(decryptInvite(toBase64UrlPadded(raw.subarray(0, 40)), PASSWORD)).rejects.toMatchObject({
      code: 'api.remote_cluster.invite_decrypt_error',
    });
    const standard = Buffer.from(code.replace(/=+$/, ''), 'base64url').toString('base64');
    if (/[+/]/.test(standard))
      await expect(decryptInvite(standard, PASSWORD)).rejects.toMatchObject({ code: 'api.remote_cluster.base64_decode_error' });
    await expect(decryptInvite('not base64!', PASSWORD)).rejects.toBeInstanceOf(InviteCodecError);
    await expect(decryptInvite('abc==', PASSWORD)).rejects.toMatchObject({ code: 'api.remote_cluster.base64_decode_error' });
  });

  it('refuses a well-encrypted invitation whose content is invalid', async () => {
    const bad = await encryptInvite({ ...INVITE, remote_id: 'not-an-id' }, PASSWORD);
    await expect(decryptInvite(bad, PASSWORD)).rejects.toMatchObject({ code: 'api.remote_cluster.invite_decrypt_error' });
    const noUrl = await encryptInvite({ ...INVITE, site_url: 'pending_abc' }, PASSWORD);
    await expect(decryptInvite(noUrl, PASSWORD)).rejects.toThrow(/site_url/);
  });

  it('keeps the event loop responsive while the KDF runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await encryptInvite(INVITE, PASSWORD);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });

  it('runs at most KDF_CONCURRENCY key derivations at once (one core fewer than the machine has)', async () => {
    const real = KdfPool.prototype.derive;
    let running = 0;
    let most = 0;
    const spy = jest.spyOn(KdfPool.prototype, 'derive').mockImplementation(async function (this: KdfPool, req) {
      running++;
      most = Math.max(most, running);
      try {
        return await real.call(this, req);
      } finally {
        running--;
      }
    });
    try {
      const keys = await Promise.all(Array.from({ length: 4 }, () => deriveKeyPbkdf2(PASSWORD, SALT)));
      expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
      expect(keys[0].equals(nodeCrypto.pbkdf2Sync(Buffer.from(PASSWORD), SALT, 600_000, 32, 'sha256'))).toBe(true);
      expect(spy).toHaveBeenCalledTimes(4);
      expect(most).toBe(Math.min(4, KDF_CONCURRENCY));
      expect(KDF_CONCURRENCY).toBe(Math.max(1, os.availableParallelism() - 1));
    } finally {
      spy.mockRestore();
    }
  });

  // Linux: the nice value is per thread, and /proc shows each thread's.
  (process.platform === 'linux' ? it : it.skip)(
    'derives keys on a thread of low CPU priority, so that the event loop gets a core first',
    async () => {
      const threadNices = (): number[] =>
        fs.readdirSync('/proc/self/task').flatMap((tid) => {
          try {
            const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
            // Fields after "(comm) ": state is field 3, nice field 19.
            return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
          } catch {
            return []; // the thread ended meanwhile
          }
        });
      const seen = new Set<number>();
      let deriving = true;
      const derivation = deriveKeyPbkdf2(PASSWORD, SALT).finally(() => (deriving = false));
      while (deriving) {
        for (const nice of threadNices()) seen.add(nice);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await derivation;
      expect(seen.has(KDF_WORKER_NICE)).toBe(true);
      expect(KDF_WORKER_NICE).toBeGreaterThan(0);
      expect(os.getPriority()).toBe(0);
    },
  );
});
