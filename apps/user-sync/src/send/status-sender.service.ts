import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, backoffDelayMs, Bus } from '@fedchat/common';
import { UserStatus } from '@fedchat/contracts';
import { DataSource } from 'typeorm';
import { UserSyncMetrics } from '../user-sync.metrics';
import { PeerSendError, sendSyncMsg } from './peer-send';

/** Attempts per status delivery (pauses between them: the shared-channels backoff). */
const ATTEMPTS = 3;
/** Statuses per message when a remote comes online (the receiver takes up to 1000). */
const STATUS_BATCH = 500;

/** The remote has the user (sent with a channel or by the global user sync): a status of anyone else would be refused. */
const KNOWN_TO_REMOTE = `EXISTS (SELECT 1 FROM shared_channel_users k WHERE k.user_id = m.user_id AND k.remote_id = scr.remote_id)`;

/** The wire form of a status (protocol §2.8). */
function wireStatus(s: UserStatus): Record<string, unknown> {
  return { user_id: s.user_id, status: s.status, manual: s.manual, last_activity_at: s.last_activity_at, dnd_end_time: s.dnd_end_time };
}

/**
 * Status sync (protocol §5.1 `NotifyUserStatusChanged`), unless DisableSharedChannelsStatusSync: a status change goes
 * at once to every online remote sharing a channel with the user, never to the user's own remote, as
 * `sharedchannel_sync {channel_id: <a channel shared with that remote the user is in>, statuses: [status]}`, retried
 * briefly; only to remotes that have the user already. Statuses are latest-wins state, not a log: one that is lost while a remote is offline is made good by the
 * full push of current statuses when the remote comes back online.
 */
@Injectable()
export class StatusSender {
  private readonly log = new Logger('StatusSender');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
    private readonly metrics: UserSyncMetrics,
  ) {}

  private get enabled(): boolean {
    return !this.config.connectedWorkspaces.disableSharedChannelsStatusSync;
  }

  /** Sends the change in the background (the caller, a websocket broadcast or a peer's message, does not wait). */
  statusChanged(status: UserStatus): void {
    if (!this.enabled) return;
    void this.fanOut(status).catch((err) => this.log.error({ err, userId: status.user_id }, 'status fan-out failed'));
  }

  async fanOut(status: UserStatus): Promise<void> {
    const targets: { remote_id: string; channel_id: string }[] = await this.dataSource.query(
      `SELECT scr.remote_id, min(scr.channel_id) AS channel_id
       FROM channel_members m
       JOIN users u ON u.id = m.user_id
       JOIN shared_channel_remotes scr ON scr.channel_id = m.channel_id AND scr.delete_at = 0 AND scr.is_invite_confirmed
       JOIN remote_clusters rc ON rc.remote_id = scr.remote_id AND rc.delete_at = 0 AND rc.is_online
       WHERE m.user_id = $1 AND scr.remote_id <> u.remote_id AND ${KNOWN_TO_REMOTE}
       GROUP BY scr.remote_id`,
      [status.user_id],
    );
    await Promise.all(targets.map((t) => this.deliver(t.remote_id, t.channel_id, [wireStatus(status)])));
  }

  /** A remote came online: the current statuses of the users it shares channels with (its own users excepted). */
  async pushAll(remoteId: string): Promise<void> {
    if (!this.enabled) return;
    const rows: (UserStatus & { channel_id: string })[] = await this.dataSource.query(
      `SELECT s.user_id, s.status, s.manual, s.last_activity_at::float8 AS last_activity_at, s.dnd_end_time::float8 AS dnd_end_time,
              min(scr.channel_id) AS channel_id
       FROM shared_channel_remotes scr
       JOIN channel_members m ON m.channel_id = scr.channel_id
       JOIN users u ON u.id = m.user_id AND u.remote_id <> scr.remote_id
       JOIN statuses s ON s.user_id = m.user_id
       WHERE scr.remote_id = $1 AND scr.delete_at = 0 AND scr.is_invite_confirmed AND ${KNOWN_TO_REMOTE}
       GROUP BY s.user_id, s.status, s.manual, s.last_activity_at, s.dnd_end_time`,
      [remoteId],
    );
    const byChannel = new Map<string, Record<string, unknown>[]>();
    for (const r of rows) byChannel.set(r.channel_id, [...(byChannel.get(r.channel_id) ?? []), wireStatus(r)]);
    for (const [channelId, statuses] of byChannel) {
      for (let i = 0; i < statuses.length; i += STATUS_BATCH) await this.deliver(remoteId, channelId, statuses.slice(i, i + STATUS_BATCH));
    }
  }

  private async deliver(remoteId: string, channelId: string, statuses: Record<string, unknown>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await sendSyncMsg(this.bus, remoteId, 'sharedchannel_sync', { channel_id: channelId, statuses });
        this.metrics.statusesSent.inc({ remote_id: remoteId }, statuses.length);
        const refused = Array.isArray(response.status_errors) ? response.status_errors.length : 0;
        if (refused > 0) {
          this.metrics.refused.inc({ remote_id: remoteId, kind: 'sent' }, refused);
          this.log.warn({ remoteId, users: response.status_errors }, 'remote refused statuses');
        }
        return;
      } catch (err) {
        this.metrics.sendFailures.inc({ remote_id: remoteId });
        if (!(err instanceof PeerSendError) || attempt >= ATTEMPTS) {
          this.log.warn({ remoteId, reason: err instanceof Error ? err.message : String(err) }, 'status delivery failed');
          return;
        }
        const { retryBaseMs: baseMs, retryMaxMs: capMs } = this.config.sharedChannels;
        await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, { baseMs, capMs })));
      }
    }
  }
}
