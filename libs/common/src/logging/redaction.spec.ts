import pino from 'pino';
import { Writable } from 'node:stream';
import { loadConfig } from '../config/config.schema';
import { REDACTED_PATHS } from './logging.module';

function capture(): { logger: pino.Logger; lines: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream), lines: () => chunks.join('') };
}

describe('log redaction', () => {
  it('never writes tokens, passwords or invitation codes', () => {
    const { logger, lines } = capture();
    logger.info({
      req: { headers: { authorization: 'Bearer s3cret-session', 'x-remotecluster-token': 'peer-t0ken', cookie: 'MMAUTHTOKEN=abc' } },
      res: { headers: { token: 'login-t0ken' } },
      password: 'hunter2',
      rc: { token: 'rc-t0ken', remote_token: 'rc-remote-t0ken', name: 'acme' },
      invite: { invite: 'ZW5jcnlwdGVk', password: 'p4ss' },
    });
    const out = lines();
    for (const secret of [
      's3cret-session',
      'peer-t0ken',
      'MMAUTHTOKEN',
      'login-t0ken',
      'hunter2',
      'rc-t0ken',
      'rc-remote-t0ken',
      'ZW5jcnlwdGVk',
      'p4ss',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('acme');
    expect(out).toContain('[redacted]');
  });

  it('never writes the S3 secret key, whether from the environment, the config or SDK credentials', () => {
    const env = {
      MM_FILESETTINGS_DRIVERNAME: 'amazons3',
      MM_FILESETTINGS_AMAZONS3BUCKET: 'files',
      MM_FILESETTINGS_AMAZONS3ACCESSKEYID: 'AKIDEXAMPLE',
      MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY: 'wJalrXUtnFEMI-s3cret',
    };
    const config = loadConfig('embedded', env);
    const { logger, lines } = capture();
    logger.info(config);
    logger.info({ config });
    logger.info({ env });
    logger.info(env);
    logger.info({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI-s3cret' } });
    expect(lines()).not.toContain('wJalrXUtnFEMI-s3cret');
    expect(lines()).toContain('AKIDEXAMPLE');
  });

  it('never writes the NATS password, whether from the environment or the config', () => {
    const env = {
      DATABASE_URL: 'postgres://u:p@db/fedchat',
      NATS_URL: 'nats://nats:4222',
      NATS_USER: 'fedchat',
      NATS_PASSWORD: 'n4ts-s3cret',
    };
    const config = loadConfig('gateway', env);
    const { logger, lines } = capture();
    logger.info(config);
    logger.info({ config });
    logger.info({ env });
    logger.info(env);
    expect(lines()).not.toContain('n4ts-s3cret');
    expect(lines()).toContain('"user":"fedchat"');
  });
});
