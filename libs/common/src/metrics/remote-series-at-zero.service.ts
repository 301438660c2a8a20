import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ScheduledJobs } from '../scheduling/scheduled-jobs';
import { zeroPerRemoteCounters } from './metrics';

/**
 * Creates the per-remote error counters at 0 for every remote connection in the database, at start and every
 * REMOTE_SERIES_REFRESH_MS (job `core.remote-series-refresh`). A counter that has never been incremented has no series
 * at all, which dashboards show as "No data" and `rate()` alerts cannot tell from a healthy remote.
 */
@Injectable()
export class RemoteSeriesAtZero implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(RemoteSeriesAtZero.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: ScheduledJobs,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.jobs.start('core.remote-series-refresh', () => this.refresh());
  }

  onApplicationShutdown(): void {
    this.jobs.stop('core.remote-series-refresh');
  }

  /** Reads the remotes and creates their missing series; a database error only postpones it to the next refresh. */
  async refresh(): Promise<void> {
    try {
      const rows: { remote_id: string }[] = await this.dataSource.query(
        `SELECT remote_id FROM remote_clusters WHERE delete_at = 0 AND plugin_id = ''`,
      );
      zeroPerRemoteCounters(rows.map((r) => r.remote_id));
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not list remotes for their metrics');
    }
  }
}
