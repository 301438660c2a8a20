import { DynamicModule, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppHealthReply, appHealthContract, BACKEND_APPS } from '@fedchat/contracts';
import { DataSource } from 'typeorm';
import { Bus } from '../bus/bus.service';
import type { AppConfig } from '../config/config.schema';
import { APP_CONFIG } from '../config/config.tokens';

type BackendApp = (typeof BACKEND_APPS)[number];
const APP_NAME = Symbol('APP_NAME');
const startedAt = Date.now();

/** Answers `<app>.app.health` so the gateway can report, through the bus, whether each app works. */
@Injectable()
class AppHealthResponder implements OnModuleInit {
  constructor(
    @Inject(APP_NAME) private readonly app: BackendApp,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: Bus,
  ) {}

  onModuleInit(): void {
    this.bus.handle(appHealthContract(this.app), () => this.report());
  }

  private async report(): Promise<AppHealthReply> {
    const database = await this.dataSource.query('SELECT 1').then(
      () => 'OK' as const,
      () => 'UNHEALTHY' as const,
    );
    return {
      app: this.app,
      instance: this.config.instanceId,
      status: database,
      database_status: database,
      uptime_ms: Date.now() - startedAt,
    };
  }
}

@Module({})
export class AppHealthModule {
  static forApp(app: BackendApp): DynamicModule {
    return {
      module: AppHealthModule,
      providers: [{ provide: APP_NAME, useValue: app }, AppHealthResponder],
    };
  }
}
