import { DynamicModule, Global, Logger, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions, runMigrations } from '@fedchat/models';
import { DataSource } from 'typeorm';
import type { AppConfig } from './config/config.schema';
import { APP_CONFIG } from './config/config.tokens';
import { isTransientDatabaseError } from './database/database-errors';
import { HealthController } from './health/health.controller';
import { ShutdownState } from './health/shutdown-state';
import { HttpMetricsMiddleware } from './http/http-metrics.middleware';
import { LoggingModule } from './logging/logging.module';
import { BusModule } from './messaging/bus.module';
import type { MessageLink } from './messaging/message-link';
import { MetricsController } from './metrics/metrics.controller';
import { RemoteSeriesAtZero } from './metrics/remote-series-at-zero.service';
import { ScheduledJobs } from './scheduling/scheduled-jobs';

/**
 * What every app process has once: validated config, logging, the database, the bus (client and server), health,
 * metrics and the scheduler.
 * In embedded mode the five apps' modules share one CoreModule, hence one pool, one bus, one metrics registry and one
 * SchedulerRegistry (ScheduleModule.forRoot() belongs here only: once per process, not once per app module).
 */
@Global()
@Module({})
export class CoreModule implements NestModule {
  static forRoot(config: AppConfig, link: MessageLink): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        LoggingModule.forRoot(config),
        TerminusModule.forRoot({ logger: false }),
        ScheduleModule.forRoot(),
        BusModule.forRoot(link, { requestTimeoutMs: config.bus.requestTimeoutMs }),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(config.databaseUrl!, { poolSize: config.dbPoolSize, applicationName: config.instanceId }),
            retryAttempts: 10,
            retryDelay: 2000,
            // Only a database that is not reachable yet is worth waiting for: a missing privilege stops start-up at once.
            toRetry: isTransientDatabaseError,
          }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            const log = new Logger('Database');
            if (!config.migrationsRun) {
              log.log('MIGRATIONS_RUN is false: migrations not run');
            } else {
              // A failed attempt must not leave its pool open when start-up retries or gives up.
              const applied = await runMigrations(dataSource).catch(async (err: unknown) => {
                await dataSource.destroy().catch(() => undefined);
                throw err;
              });
              log.log(
                applied.length > 0
                  ? `migrations applied: ${applied.length} (${applied.join(', ')})`
                  : 'database schema up to date: no pending migrations',
              );
            }
            return dataSource;
          },
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [{ provide: APP_CONFIG, useValue: config }, ShutdownState, ScheduledJobs, RemoteSeriesAtZero],
      exports: [APP_CONFIG, ShutdownState, ScheduledJobs],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
