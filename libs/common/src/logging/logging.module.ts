import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { LoggerOptions } from 'pino';
import type { AppConfig } from '../config/config.schema';

/**
 * Secrets that may appear in requests, responses or logged objects. Peer tokens, session tokens, passwords,
 * invitation codes and the S3 secret key (in the environment, AppConfig or SDK credentials) must never reach a
 * log line.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-remotecluster-token"]',
  'req.headers["x-mm-remotecluster-token"]',
  'res.headers["set-cookie"]',
  'res.headers.token',
  'password',
  'token',
  'remote_token',
  'refreshed_token',
  'invite',
  '*.password',
  '*.token',
  '*.remote_token',
  '*.refreshed_token',
  '*.invite',
  'secretAccessKey',
  '*.secretAccessKey',
  'files.amazonS3.secretAccessKey',
  'config.files.amazonS3.secretAccessKey',
  'MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY',
  '*.MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY',
  'NATS_PASSWORD',
  '*.NATS_PASSWORD',
  'natsAuth.password',
  '*.natsAuth.password',
];

/** Structured JSON logs (pino), one line per event, with the app and instance on every line. */
function loggerOptions(config: AppConfig): LoggerOptions {
  return {
    level: config.log.level,
    base: { app: config.appName, instance: config.instanceId },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    transport: config.log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
  };
}

/** The same logger for what happens before and after the Nest app (embedded PostgreSQL start and stop). */
export function processLogger(config: AppConfig, context: string): pino.Logger {
  return pino(loggerOptions(config)).child({ context });
}

@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            ...loggerOptions(config),
            // Probes and scrapes every few seconds would drown the log.
            autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
            serializers: {
              req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: stripQuery(req.url) }),
            },
          },
        }),
      ],
    };
  }
}

/** Query strings can carry `access_token`; log the path only. */
function stripQuery(url: string): string {
  const i = url.indexOf('?');
  return i === -1 ? url : url.slice(0, i);
}
