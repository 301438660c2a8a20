import 'reflect-metadata';
import * as os from 'node:os';
import { DynamicModule, INestApplication, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import { startMessageHandlers } from '../messaging/bus.module';
import { InProcessLink } from '../messaging/in-process-link';
import type { MessageLink } from '../messaging/message-link';
import { NatsLink } from '../messaging/nats-link';
import { AppConfig, AppName, ConfigError, loadConfig } from '../config/config.schema';
import { CoreModule } from '../core.module';
import { startDefaultMetrics } from '../metrics/metrics';
import { databaseErrorAdvice, describeDatabaseUrl } from '../database/database-errors';
import { processLogger } from '../logging/logging.module';
import { PinoNestLogger } from './pino-nest-logger';

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

/** Signals after which a process that is still shutting down exits at once (its exit handlers still run). */
const FORCE_EXIT_AFTER_SIGNALS = 3;

/**
 * Reads the configuration or exits with a message naming each bad setting. There is no configured logger yet, so
 * the message goes through a default pino logger: JSON like every other line.
 */
export function configOrExit(appName: AppName): AppConfig {
  try {
    return loadConfig(appName);
  } catch (err) {
    const log = pino({ base: { app: appName } }).child({ context: 'Config' });
    if (err instanceof ConfigError) {
      const problems = err.message
        .split('\n')
        .slice(1)
        .map((line) => line.trim());
      log.fatal({ problems }, `invalid configuration: ${problems.join('; ')}`);
      process.exit(78); // EX_CONFIG
    }
    log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'reading the configuration failed');
    process.exit(1);
  }
}

/** One warning per deprecated setting name that was read (its replacement was unset). */
export function warnAboutDeprecatedSettings(config: AppConfig, log: Pick<pino.Logger, 'warn'>): void {
  for (const { name, replacement } of config.deprecatedSettings ?? []) {
    log.warn({ setting: name, replacement }, `${name} is deprecated and will stop working in a later version; set ${replacement} instead`);
  }
}

@Module({})
class ProcessRootModule {}

/**
 * Starts one process of the suite: connects the bus (NATS when NATS_URL is set, the in-process bus otherwise),
 * builds the Nest app from CoreModule plus the given feature modules, listens on HOST:PORT, and on SIGTERM/SIGINT
 * stops taking work, finishes what is in flight, closes everything and exits 0.
 *
 * Repeated signals do not cut that short: a terminal's Ctrl-C reaches both npm and node, and npm forwards it to node
 * again, so one keypress is often two signals. Only the third signal exits at once, and even then through
 * process.exit, whose exit handlers still stop the embedded PostgreSQL.
 */
export async function runApp(config: AppConfig, options: RunAppOptions): Promise<INestApplication | undefined> {
  const log = processLogger(config, 'Lifecycle');
  warnAboutDeprecatedSettings(config, log);
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
  let signalsReceived = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalsReceived += 1;
    if (signalsReceived === 1) return void shutdown(signal);
    if (signalsReceived < FORCE_EXIT_AFTER_SIGNALS) {
      log.warn(`${signal} received again: still shutting down (another signal exits at once)`);
      return;
    }
    log.error(`${signal} received ${signalsReceived} times: exiting without finishing in-flight work`);
    process.exit(128 + (os.constants.signals[signal] ?? 0));
  };
  // Registered before anything starts, so that a signal during start-up also stops what was started.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await options.prepare?.(config);
    if (stopping) return undefined;
    log.info(`database: ${config.databaseUrl ? describeDatabaseUrl(config.databaseUrl) : '(none)'}`);
    app = await createSuiteApp(config, options);
    if (stopping) return undefined;
    if (config.host) await app.listen(config.port, config.host);
    else await app.listen(config.port);
  } catch (err) {
    // Logged here, with the process's logger, so that the reason is a JSON line with advice where we have some.
    const advice = databaseErrorAdvice(err);
    log.fatal({ err: errorText(err) }, `start-up failed: ${errorText(err)}${advice ? ` (${advice})` : ''}`);
    throw new StartupFailureLogged(err);
  }
  log.info(
    `${config.appName} listening on ${config.host ?? 'all interfaces'} port ${config.port} ` +
      `(bus: ${config.natsUrl ? 'nats' : 'in-process'}, site URL ${config.siteUrl})`,
  );
  return app;
}

/** A start-up error that runApp has already logged. */
class StartupFailureLogged extends Error {
  constructor(readonly original: unknown) {
    super(errorText(original));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Builds and initialises (without listening on HTTP) a Nest app of CoreModule plus the given feature modules, on NATS
 * when NATS_URL is set and on the in-process bus otherwise. Every app is hybrid: its message handlers are served by
 * the BusServer strategy, started once the app's init and bootstrap hooks have run, so no message reaches a handler
 * whose services are not ready. Tests use it directly; processes use runApp.
 */
export async function createSuiteApp(config: AppConfig, options: RunAppOptions): Promise<NestExpressApplication> {
  startDefaultMetrics();
  const link: MessageLink = config.natsUrl
    ? await NatsLink.connect(config.natsUrl, config.instanceId, {
        timeoutMs: config.bus.connectTimeoutMs,
        log: processLogger(config, 'Bus'),
        auth: config.natsAuth,
      })
    : new InProcessLink(config.bus.maxPayload);
  const root: DynamicModule = { module: ProcessRootModule, imports: [CoreModule.forRoot(config, link), ...options.modules] };
  // Until the app's own logger takes over, Nest logs through pino; abortOnError: false lets the caller report and exit.
  const app = await NestFactory.create<NestExpressApplication>(root, {
    logger: new PinoNestLogger(processLogger(config, 'Nest')),
    abortOnError: false,
    bodyParser: false,
  }).catch(async (err: unknown) => {
    await link.close().catch(() => undefined);
    throw err;
  });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  options.configureHttp?.(app, config);
  await startMessageHandlers(app);
  return app;
}

/** Exits non-zero after a start-up failure (runApp has logged it; anything else is logged here, as JSON). */
export function exitOnStartupFailure(err: unknown): never {
  if (!(err instanceof StartupFailureLogged)) pino({ base: { context: 'Bootstrap' } }).fatal(`start-up failed: ${errorText(err)}`);
  process.exit(1);
}
