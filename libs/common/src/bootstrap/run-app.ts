import 'reflect-metadata';
import { DynamicModule, INestApplication, Logger as NestLogger, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { BusTransport } from '../bus/bus-transport';
import { InProcessTransport } from '../bus/in-process.transport';
import { NatsTransport } from '../bus/nats.transport';
import { AppConfig, AppName, ConfigError, loadConfig } from '../config/config.schema';
import { CoreModule } from '../core.module';
import { startDefaultMetrics } from '../metrics/metrics';
import { processLogger } from '../logging/logging.module';

export interface RunAppOptions {
  /** The apps' feature modules served by this process. */
  modules: Array<Type | DynamicModule>;
  /** HTTP setup of the process (body parsers, OpenAPI); only the gateway has any. */
  configureHttp?: (app: NestExpressApplication, config: AppConfig) => void;
  /** Runs before the Nest app is built (the embedded mode starts its PostgreSQL here). */
  prepare?: (config: AppConfig) => Promise<void>;
  /** Runs after the Nest app closed, before exit (the embedded mode stops its PostgreSQL here). */
  afterClose?: () => Promise<void>;
}

/** Reads the configuration or exits with a message naming each bad setting. */
export function configOrExit(appName: AppName): AppConfig {
  try {
    return loadConfig(appName);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

@Module({})
class ProcessRootModule {}

/**
 * Starts one process of the suite: connects the bus (NATS when NATS_URL is set, the in-process bus otherwise),
 * builds the Nest app from CoreModule plus the given feature modules, listens on PORT, and on SIGTERM/SIGINT
 * stops taking work, finishes what is in flight, closes everything and exits 0.
 */
export async function runApp(config: AppConfig, options: RunAppOptions): Promise<INestApplication | undefined> {
  const log = processLogger(config, 'Lifecycle');
  // eslint-disable-next-line prefer-const -- the signal handler reads it before start-up assigns it
  let app: NestExpressApplication | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: finishing in-flight work`);
    const deadline = setTimeout(() => {
      log.error(`shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    let code = 0;
    for (const [step, action] of [
      ['closing the app', () => app?.close()],
      ['after close', () => options.afterClose?.()],
    ] as const) {
      try {
        await action();
      } catch (err) {
        code = 1;
        log.error({ err: String(err) }, `error while ${step}`);
      }
    }
    log.info('stopped');
    process.exit(code);
  };
  // Registered before anything starts, so that a signal during start-up also stops what was started.
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await options.prepare?.(config);
  if (stopping) return undefined;
  app = await createSuiteApp(config, options);
  if (stopping) return undefined;
  await app.listen(config.port);
  log.info(
    `${config.appName} listening on port ${config.port} (bus: ${config.natsUrl ? 'nats' : 'in-process'}, site URL ${config.siteUrl})`,
  );
  return app;
}

/**
 * Builds (without listening) a Nest app of CoreModule plus the given feature modules, on NATS when NATS_URL is
 * set and on the in-process bus otherwise. Tests use it directly; processes use runApp.
 */
export async function createSuiteApp(config: AppConfig, options: RunAppOptions): Promise<NestExpressApplication> {
  startDefaultMetrics();
  const transport: BusTransport = config.natsUrl
    ? await NatsTransport.connect(config.natsUrl, config.instanceId, config.natsAuth)
    : new InProcessTransport(config.bus.maxPayload);
  const root: DynamicModule = { module: ProcessRootModule, imports: [CoreModule.forRoot(config, transport), ...options.modules] };
  const app = await NestFactory.create<NestExpressApplication>(root, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', true);
  app.disable('x-powered-by');
  options.configureHttp?.(app, config);
  return app;
}

/** Logs a start-up failure in one line and exits non-zero. */
export function exitOnStartupFailure(err: unknown): never {
  new NestLogger('Bootstrap').error(`start-up failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
