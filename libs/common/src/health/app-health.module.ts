import { DynamicModule, Inject, Module, Type } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppHealthReply, appHealthContract, BACKEND_APPS } from '@fedchat/contracts';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.schema';
import { APP_CONFIG } from '../config/config.tokens';
import { MessageHandlers } from '../messaging/message-pipeline';

type BackendApp = (typeof BACKEND_APPS)[number];
const startedAt = Date.now();

/**
 * Answers `<app>.app.health` so the gateway can report, through the bus, whether each app works. One class per app:
 * a pattern is fixed when the class is declared, and the embedded process answers for all four apps.
 */
function appHealthHandlers(app: BackendApp): Type {
  @MessageHandlers()
  class AppHealthHandlers {
    constructor(
      @Inject(APP_CONFIG) private readonly config: AppConfig,
      @InjectDataSource() private readonly dataSource: DataSource,
    ) {}

    @MessagePattern(appHealthContract(app).subject)
    async report(): Promise<AppHealthReply> {
      const database = await this.dataSource.query('SELECT 1').then(
        () => 'OK' as const,
        () => 'UNHEALTHY' as const,
      );
      return { app, instance: this.config.instanceId, status: database, database_status: database, uptime_ms: Date.now() - startedAt };
    }
  }
  return AppHealthHandlers;
}

@Module({})
export class AppHealthModule {
  static forApp(app: BackendApp): DynamicModule {
    return { module: AppHealthModule, controllers: [appHealthHandlers(app)] };
  }
}
