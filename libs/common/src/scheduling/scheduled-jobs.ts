import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { SuiteAppName } from '@fedchat/contracts';
import type { AppConfig } from '../config/config.schema';
import { APP_CONFIG } from '../config/config.tokens';

/** How often the list of remotes is read again for the per-remote metrics, so that a new connection gets its zero series. */
export const REMOTE_SERIES_REFRESH_MS = 60_000;
/** The heartbeat looks for due remotes at least this often (each remote is still pinged once per ping interval). */
const HEARTBEAT_TICK_MAX_MS = 1000;
/** The online gauge is read from the database at least this often. */
const ONLINE_GAUGE_MAX_MS = 15_000;
/** Stale uploads are looked for at least this often, whatever the expiry. */
const UPLOAD_EXPIRY_SWEEP_MAX_MS = 10 * 60_000;

/** One periodic job: the process that runs it, the setting its interval comes from, and that interval. */
export interface ScheduledJob {
  /** The app whose module starts it, or `every` for CoreModule (once per process, embedded included). */
  app: SuiteAppName | 'every';
  /** The setting the interval is derived from, as documented in docs/configuration.md. */
  setting: string;
  intervalMs(config: AppConfig): number;
}

/**
 * Every periodic job of the suite, in one place. A job's tick only rings a doorbell or refreshes a gauge; the work
 * loop or pass it rings does the work, so a slow pass never piles ticks up. Names are `app.job`.
 */
export const SCHEDULED_JOBS = {
  'core.remote-series-refresh': { app: 'every', setting: '(fixed: 60 s)', intervalMs: () => REMOTE_SERIES_REFRESH_MS },
  'gateway.websocket-ping': { app: 'gateway', setting: 'WEBSOCKET_PING_INTERVAL_MS', intervalMs: (c) => c.websocket.pingIntervalMs },
  'remote-cluster.heartbeat': {
    app: 'remote-cluster',
    setting: 'REMOTE_CLUSTER_PING_INTERVAL_MS (at most 1 s)',
    intervalMs: (c) => Math.min(HEARTBEAT_TICK_MAX_MS, c.remoteCluster.pingIntervalMs),
  },
  'remote-cluster.online-gauge': {
    app: 'remote-cluster',
    setting: 'REMOTE_CLUSTER_PING_INTERVAL_MS (at most 15 s)',
    intervalMs: (c) => Math.min(ONLINE_GAUGE_MAX_MS, c.remoteCluster.pingIntervalMs),
  },
  'shared-channel-sync.sync-poll': {
    app: 'shared-channel-sync',
    setting: 'SHARED_CHANNELS_POLL_INTERVAL_MS',
    intervalMs: (c) => c.sharedChannels.pollIntervalMs,
  },
  'shared-channel-sync.queue-gauge': {
    app: 'shared-channel-sync',
    setting: 'SHARED_CHANNELS_POLL_INTERVAL_MS',
    intervalMs: (c) => c.sharedChannels.pollIntervalMs,
  },
  'shared-channel-sync.invite-retry': {
    app: 'shared-channel-sync',
    setting: 'SHARED_CHANNELS_POLL_INTERVAL_MS × 5',
    intervalMs: (c) => c.sharedChannels.pollIntervalMs * 5,
  },
  'file-transfer.transfer-poll': {
    app: 'file-transfer',
    setting: 'FILE_TRANSFER_POLL_INTERVAL_MS',
    intervalMs: (c) => c.fileTransfer.pollIntervalMs,
  },
  'file-transfer.queue-gauge': {
    app: 'file-transfer',
    setting: 'FILE_TRANSFER_POLL_INTERVAL_MS',
    intervalMs: (c) => c.fileTransfer.pollIntervalMs,
  },
  'file-transfer.profile-picture-poll': {
    app: 'file-transfer',
    setting: 'FILE_TRANSFER_POLL_INTERVAL_MS',
    intervalMs: (c) => c.fileTransfer.pollIntervalMs,
  },
  'file-transfer.upload-expiry': {
    app: 'file-transfer',
    setting: 'FILE_TRANSFER_UPLOAD_EXPIRY_MS ÷ 4 (at most 10 min)',
    intervalMs: (c) => Math.min(c.fileTransfer.uploadExpiryMs / 4, UPLOAD_EXPIRY_SWEEP_MAX_MS),
  },
  'user-sync.poll': { app: 'user-sync', setting: 'USER_SYNC_POLL_INTERVAL_MS', intervalMs: (c) => c.userSync.pollIntervalMs },
  'user-sync.profiles-gauge': { app: 'user-sync', setting: 'USER_SYNC_POLL_INTERVAL_MS', intervalMs: (c) => c.userSync.pollIntervalMs },
} as const satisfies Record<string, ScheduledJob>;

export type ScheduledJobName = keyof typeof SCHEDULED_JOBS;

/**
 * Starts and stops the jobs of SCHEDULED_JOBS on Nest's SchedulerRegistry (ScheduleModule is imported once, by
 * CoreModule), with the interval the table derives from the validated config. The owning service starts its jobs at
 * bootstrap and stops them first thing on shutdown, before it waits for the work in flight.
 *
 * Ticks are unref'd: a process lives as long as its HTTP server and connections, never because a poll is pending.
 * A tick that throws or rejects is logged; the next tick runs as usual.
 */
@Injectable()
export class ScheduledJobs {
  private readonly log = new Logger('ScheduledJobs');

  constructor(
    private readonly registry: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  start(name: ScheduledJobName, tick: () => unknown): void {
    const onError = (err: unknown) => this.log.error({ err, job: name }, 'scheduled job tick failed');
    const timer = setInterval(() => {
      try {
        const result = tick();
        if (result instanceof Promise) result.catch(onError);
      } catch (err) {
        onError(err);
      }
    }, SCHEDULED_JOBS[name].intervalMs(this.config));
    timer.unref();
    this.registry.addInterval(name, timer);
  }

  /** Idempotent: ScheduleModule's own shutdown hook may have cleared the registry already. */
  stop(name: ScheduledJobName): void {
    if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
  }
}
