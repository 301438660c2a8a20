import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, ScheduledJobs, WorkLoop } from '@fedchat/common';
import { DataSource } from 'typeorm';
import { UserSyncMetrics } from '../user-sync.metrics';
import { PeerSendError } from './peer-send';
import { ClaimedRemote, RemoteLease } from './remote-lease.service';
import { StatusSender } from './status-sender.service';
import { UserSyncSender } from './user-sync-sender.service';

/**
 * Schedules the user-sync senders on this replica. Doorbells (a profile changed, members of a shared channel changed,
 * a remote came online) and a poll (job `user-sync.poll`, which also finds what another replica's doorbell or a
 * failed delivery left) claim the free online remotes (WorkLoop, up to SHARED_CHANNELS_CONCURRENCY at once) and run
 * each: global users, profiles, memberships; then release it. Every online remote is always claimable (the run finds
 * out what is due), so a remote is run again only when a doorbell rang while it ran, right after that run.
 * Status changes do not wait for runs: they go out at once (StatusSender).
 */
@Injectable()
export class UserSyncWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('UserSyncWorker');
  private readonly loop: WorkLoop<ClaimedRemote>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: ScheduledJobs,
    private readonly lease: RemoteLease,
    private readonly sender: UserSyncSender,
    private readonly statuses: StatusSender,
    private readonly metrics: UserSyncMetrics,
  ) {
    this.loop = new WorkLoop<ClaimedRemote>({
      what: 'user-sync work',
      describe: (remote) => `remote ${remote.remote_id}`,
      log: this.log,
      concurrency: config.sharedChannels.concurrency,
      claim: (limit) => this.lease.claim(limit),
      run: (remote, signal) => this.runRemote(remote, signal),
      release: (remote) => this.lease.release(remote),
      lookAgain: (_remote, rungMeanwhile) => rungMeanwhile,
    });
  }

  onApplicationBootstrap(): void {
    this.jobs.start('user-sync.poll', () => this.ring());
    this.jobs.start('user-sync.profiles-gauge', () =>
      this.sender.pendingProfiles().then(
        (n) => this.metrics.profilesPending.set(n),
        () => undefined,
      ),
    );
    this.ring();
  }

  async onApplicationShutdown(): Promise<void> {
    this.jobs.stop('user-sync.poll');
    this.jobs.stop('user-sync.profiles-gauge');
    await this.loop.stop();
  }

  /** A remote came (back) online: full membership reconcile, current statuses, and a round (global users, profiles). */
  async cameOnline(remoteId: string): Promise<void> {
    if (this.config.featureFlags.enableSharedChannelsMemberSync) {
      await this.dataSource.query(
        `UPDATE shared_channel_remotes SET last_members_sync_at = 0, last_members_sync_seq = 0 WHERE remote_id = $1 AND delete_at = 0`,
        [remoteId],
      );
    }
    this.ring();
    await this.statuses.pushAll(remoteId);
  }

  ring(): void {
    this.loop.ring();
  }

  /** Runs one claimed remote (global users, profiles, memberships) and releases it, whatever happened. */
  private async runRemote(remote: ClaimedRemote, stop: AbortSignal): Promise<void> {
    try {
      await this.sender.run(remote, () => stop.aborted);
    } catch (err) {
      this.metrics.sendFailures.inc({ remote_id: remote.remote_id });
      if (err instanceof PeerSendError)
        this.log.warn({ remoteId: remote.remote_id, reason: err.message }, 'user sync delivery failed; will retry');
      else this.log.error({ err, remoteId: remote.remote_id }, 'user sync run failed');
    } finally {
      await this.lease.release(remote).catch(() => undefined);
    }
  }
}
