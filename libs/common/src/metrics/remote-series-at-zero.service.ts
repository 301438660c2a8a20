import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { zeroPerRemoteCounters } from './metrics';

/** How often the list of remotes is read again, so that a connection made after start gets its zero series. */
export const REMOTE_SERIES_REFRESH_MS = 60_000;

/**
 * Creates the per-remote error counters at 0 for every remote connection in the database, at start and every
 * REMOTE_SERIES_REFRESH_MS. A counter that has never been incremented has no series at all, which dashboards show as
 * "No data" and `rate()` alerts cannot tell from a healthy remote.
 */
@Injectable()
export class RemoteSeriesAtZero implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(RemoteSeriesAtZero.name);
  private timer?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REMOTE_SERIES_REFRESH_MS);
    // Metrics alone must not keep a process alive.
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
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
