import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import { Bus } from '../messaging/bus';
import { ShutdownState } from './shutdown-state';

/** Kubernetes probes: liveness says the process runs; readiness says it can serve (database, bus, not stopping). */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly bus: Bus,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * The 503 body is written here rather than thrown: a thrown exception would go through the app's exception filter
   * (the gateway's turns it into Mattermost's error JSON, "Service Unavailable Exception"), and every app must name
   * what is down in the same terms.
   */
  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    if (this.shutdown.isShuttingDown) {
      res.status(503).json({ status: 'shutting_down' });
      return;
    }
    try {
      res.status(200).json(await this.check());
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503).json(err.getResponse());
    }
  }

  private check() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3000 }),
      () => {
        const session = this.indicators.check('bus');
        return this.bus.isConnected()
          ? session.up({ transport: this.bus.transportKind })
          : session.down({ transport: this.bus.transportKind });
      },
    ]);
  }
}
