import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Bus } from '../bus/bus.service';
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

  @Get('ready')
  @HealthCheck()
  ready() {
    if (this.shutdown.isShuttingDown) throw new ServiceUnavailableException({ status: 'shutting_down' });
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
