import { Controller, Get, HttpStatus, Inject, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, Bus } from '@fedchat/common';
import { appHealthContract, BACKEND_APPS } from '@fedchat/contracts';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.guard';

export class AppStatus {
  @ApiProperty({ enum: ['OK', 'UNHEALTHY', 'UNAVAILABLE'] })
  status: 'OK' | 'UNHEALTHY' | 'UNAVAILABLE';

  @ApiPropertyOptional({ description: 'The replica that answered' })
  instance?: string;

  @ApiPropertyOptional()
  error?: string;
}

export class PingResponse {
  @ApiProperty({ enum: ['OK', 'UNHEALTHY'] })
  status: 'OK' | 'UNHEALTHY';

  @ApiProperty({ example: 'database' })
  ActiveSearchBackend: string;

  @ApiProperty() AndroidLatestVersion: string;
  @ApiProperty() AndroidMinVersion: string;
  @ApiProperty() IosLatestVersion: string;
  @ApiProperty() IosMinVersion: string;

  @ApiPropertyOptional({ enum: ['OK', 'UNHEALTHY'], description: 'With get_server_status=true' })
  database_status?: 'OK' | 'UNHEALTHY';

  @ApiPropertyOptional({
    description: 'With get_server_status=true: each app asked over the bus (NATS in distributed mode)',
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/AppStatus' },
  })
  apps?: Record<string, AppStatus>;
}

@ApiTags('system')
@ApiExtraModels(AppStatus)
@Controller('api/v4/system')
export class SystemController {
  constructor(
    private readonly bus: Bus,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Mattermost's ping. With `get_server_status=true` it also checks the database and asks every app over the
   * bus; anything unhealthy turns the answer into 500 `UNHEALTHY`, as Mattermost does.
   */
  @Public()
  @Get('ping')
  @ApiQuery({ name: 'get_server_status', required: false, type: Boolean })
  @ApiOkResponse({ type: PingResponse })
  async ping(
    @Query('get_server_status') getServerStatus: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PingResponse> {
    const answer: PingResponse = {
      status: 'OK',
      ActiveSearchBackend: 'database',
      AndroidLatestVersion: '',
      AndroidMinVersion: '',
      IosLatestVersion: '',
      IosMinVersion: '',
    };
    if (getServerStatus !== 'true' && getServerStatus !== '1') return answer;

    const [database, ...appStatuses] = await Promise.all([
      this.dataSource.query('SELECT 1').then(
        () => 'OK' as const,
        () => 'UNHEALTHY' as const,
      ),
      ...BACKEND_APPS.map((app) => this.askApp(app)),
    ]);
    answer.database_status = database;
    answer.apps = Object.fromEntries(BACKEND_APPS.map((app, i) => [app, appStatuses[i]]));
    if (database !== 'OK' || appStatuses.some((s) => s.status !== 'OK')) {
      answer.status = 'UNHEALTHY';
      res.status(HttpStatus.INTERNAL_SERVER_ERROR);
    }
    return answer;
  }

  private async askApp(app: (typeof BACKEND_APPS)[number]): Promise<AppStatus> {
    try {
      const reply = await this.bus.request(appHealthContract(app), {});
      return { status: reply.status, instance: reply.instance };
    } catch (err) {
      return { status: 'UNAVAILABLE', error: err instanceof Error ? err.message : String(err) };
    }
  }
}
