import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, Bus, SerialPasses } from '@fedchat/common';
import {
  ChannelMembersChangedEvent,
  ConnectionStateChangedEvent,
  UserProfileChangedEvent,
  UserStatusChangedEvent,
} from '@fedchat/contracts';
import { DataSource } from 'typeorm';
import { UserSyncMetrics } from '../user-sync.metrics';
import { PeerSendError } from './peer-send';
import { ClaimedRemote, RemoteLease } from './remote-lease.service';
import { StatusSender } from './status-sender.service';
import { UserSyncSender } from './user-sync-sender.service';

/**
 * Schedules the user-sync senders on this replica. Doorbells (a profile changed, members of a shared channel changed,
 * a remote came online) and a poll (USER_SYNC_POLL_INTERVAL_MS, which also finds what another replica's doorbell or a
 * failed delivery left) start a round: claim the free online remotes, run each (global users, profiles, memberships),
 * release them. Rounds do not overlap on one replica; a doorbell during a round starts another right after it.
 * Status changes do not wait for rounds: they go out at once (StatusSender).
 */
@Injectable()
export class UserSyncWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('UserSyncWorker');
  private readonly rounds = new SerialPasses(
    () => this.round(),
    (err) => this.log.error({ err }, 'claiming user-sync work failed; the next poll retries'),
  );
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
    private readonly lease: RemoteLease,
    private readonly sender: UserSyncSender,
    private readonly statuses: StatusSender,
    private readonly metrics: UserSyncMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.on(UserProfileChangedEvent, () => this.ring(), 'user-sync');
    this.bus.on(ChannelMembersChangedEvent, () => this.ring(), 'user-sync');
    this.bus.on(UserStatusChangedEvent, (status) => this.statuses.statusChanged(status), 'user-sync');
    this.bus.on(ConnectionStateChangedEvent, (e) => (e.online ? this.cameOnline(e.remote_id) : undefined), 'user-sync');
    this.timer = setInterval(() => {
      this.ring();
      this.sender.pendingProfiles().then(
        (n) => this.metrics.profilesPending.set(n),
        () => undefined,
      );
    }, this.config.userSync.pollIntervalMs);
    this.ring();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.rounds.stop();
  }

  /** A remote came (back) online: full membership reconcile, current statuses, and a round (global users, profiles). */
  private async cameOnline(remoteId: string): Promise<void> {
    if (this.config.featureFlags.enableSharedChannelsMemberSync) {
      await this.dataSource.query(`UPDATE shared_channel_remotes SET last_members_sync_at = 0 WHERE remote_id = $1 AND delete_at = 0`, [
        remoteId,
      ]);
    }
    this.ring();
    await this.statuses.pushAll(remoteId);
  }

  ring(): void {
    this.rounds.ring();
  }

  /** Claims the free remotes (one replica per remote) and runs each: global users, profiles, memberships. */
  private async round(): Promise<void> {
    const remotes = await this.lease.claim(this.config.sharedChannels.concurrency);
    await Promise.all(remotes.map((r) => this.runRemote(r)));
  }

  private async runRemote(remote: ClaimedRemote): Promise<void> {
    try {
      await this.sender.run(remote, () => this.rounds.stopping);
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
