import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { notDirectlyConnectedError, originRemoteId, SystemPosts, toChannelJson, toSyncUser, WebSocketEvents, WsEvent } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError, backoffDelayMs, Bus, remoteClusterServiceEnabled, ScheduledJobs } from '@fedchat/common';
import {
  InviteRemoteReply,
  InviteRemoteRequest,
  PeerResponse,
  SendToPeer,
  ShareDirectChannelReply,
  ShareDirectChannelRequest,
  SharedChannelChangedEvent,
} from '@fedchat/contracts';
import { INVITE_EXPIRES_AFTER_MS, isValidId, newId } from '@fedchat/crypto';
import { Channel, RemoteCluster, SharedChannel, SharedChannelRemote, User } from '@fedchat/models';
import { DataSource, In } from 'typeorm';
import { ChannelInvite, invitePayloadFor } from './invite-payload';
import { invitesTotal } from './sharing.metrics';
import { INVITE_PENDING_REVIEW, sharedWith, stateProps } from './sharing.texts';

/** Pending invitations claimed per round. */
const CLAIM_BATCH = 50;
/** Longest peer error kept in `last_error`. */
const MAX_ERROR_CHARS = 1000;

/** An unconfirmed share this replica holds (lease) while it sends the invitation. */
interface Claim {
  id: string;
  channel_id: string;
  remote_id: string;
}

/** What recording invitations did, per remote: `already` when the remote was invited before (nothing changed). */
interface Recorded {
  newlyShared: boolean;
  remotes: { remote_id: string; id: string; already: boolean; confirmed: boolean }[];
}

function isPersonal(channel: Channel): boolean {
  return channel.type === 'D' || channel.type === 'G';
}

export function isConfirmedRemote(rc: RemoteCluster): boolean {
  return rc.plugin_id !== '' || (rc.site_url !== '' && !rc.site_url.startsWith('pending_'));
}

/** A connection created here whose invitation the peer can no longer accept (it confirms too late and is refused). */
export function isExpiredPendingRemote(rc: RemoteCluster, now = Date.now()): boolean {
  return !isConfirmedRemote(rc) && now - Number(rc.create_at) > INVITE_EXPIRES_AFTER_MS;
}

/** SQL condition (on `rc`, a remote_clusters row) of isConfirmedRemote. */
const CONFIRMED_REMOTE_SQL = `(rc.plugin_id <> '' OR (rc.site_url <> '' AND rc.site_url NOT LIKE 'pending\\_%'))`;

export function invalidRemoteError(): AppError {
  return AppError.badRequest('api.remote_cluster.invalid_id.app_error', 'Invalid secure connection: unknown, deleted or not confirmed.');
}

function unknownRemoteError(): AppError {
  return AppError.badRequest('api.remote_cluster.invalid_id.app_error', 'Invalid secure connection: unknown or deleted.');
}

function expiredRemoteError(): AppError {
  return AppError.badRequest(
    'api.remote_cluster.invite_expired.app_error',
    'The secure connection was never accepted and its invitation has expired: delete it and create a new one.',
  );
}

/**
 * The home side of channel invitations (protocol §4.1 "Sender side", §5.6). Inviting records the share at once
 * (unconfirmed, cursors at the invitation time, so content written while it is pending is delivered later) and tries
 * to deliver the `sharedchannel_invite`; an invitation not delivered is retried with exponential backoff, and at once
 * when its remote comes back online.
 *
 * Sends are claimed with a lease on the shared_channel_remotes row (`lease_owner`/`lease_until`, taken under
 * `FOR UPDATE SKIP LOCKED`), so several replicas never send the same invitation at the same time. Only unconfirmed
 * rows are claimed here; the sync engine owns confirmed ones.
 *
 * A connection created here and not yet accepted by the peer (pending) may be invited too: the row is recorded the
 * same way but not claimed while its connection is pending (it has nowhere to go). When the peer accepts, the
 * remote-cluster app announces it (ConnectionConfirmedEvent) and they are sent at once; the poller finds them as
 * well (they are due from the start), so a lost event or a restart in between delays them by one round at most.
 */
@Injectable()
export class ChannelInviteSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SharingInvites');
  private running?: Promise<void>;
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
    private readonly posts: SystemPosts,
    private readonly events: WebSocketEvents,
    private readonly jobs: ScheduledJobs,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.enabled()) return;
    this.jobs.start('shared-channel-sync.invite-retry', () => {
      if (!this.running && !this.stopped) this.running = this.retryDue().finally(() => (this.running = undefined));
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.jobs.stop('shared-channel-sync.invite-retry');
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  /** RPC InviteRemote: shares the channel if needed, records the invitation and tries to deliver it now. */
  async invite(req: InviteRemoteRequest): Promise<InviteRemoteReply> {
    if (!this.enabled()) throw new AppError('api.command_share.service_disabled', 'Shared Channels Service is disabled.', 501);
    if (!isValidId(req.channel_id)) throw AppError.invalidParam('channel_id');
    if (!isValidId(req.remote_id)) throw invalidRemoteError();
    const channel = await this.dataSource.getRepository(Channel).findOneBy({ id: req.channel_id });
    if (!channel || channel.delete_at > 0) {
      throw AppError.badRequest('api.command_share.invalid_channel.error', 'Invalid channel: it does not exist or is archived.');
    }
    if (isPersonal(channel)) {
      throw AppError.badRequest(
        'api.command_share.channel_invite_dm.error',
        this.config.featureFlags.enableSharedChannelsDMs
          ? 'Direct and group messages are shared with the workspaces of their members when they are created, not by invitation.'
          : 'Direct and group messages cannot be shared.',
      );
    }
    if (channel.type !== 'O' && channel.type !== 'P') {
      throw AppError.badRequest('api.command_share.invalid_channel.error', 'Invalid channel: only team channels can be shared.');
    }
    const existing = await this.dataSource.getRepository(SharedChannel).findOneBy({ channel_id: channel.id });
    if (existing && !existing.home) throw notHomeInviteError();
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: req.remote_id });
    if (!rc || rc.delete_at > 0) throw unknownRemoteError();
    if (isExpiredPendingRemote(rc)) throw expiredRemoteError();
    const pending = !isConfirmedRemote(rc);
    // A pending connection's site URL is a placeholder, not an address to show.
    const remote = {
      remote_display_name: rc.display_name || rc.name,
      remote_site_url: pending ? '' : rc.site_url,
      connection_pending: pending,
    };

    const recorded = await this.record(channel, [rc], req.actor_id, req.readonly);
    const [share] = recorded.remotes;

    if (recorded.newlyShared) {
      this.logger.log({ channel_id: channel.id, actor_id: req.actor_id }, 'channel shared');
      await this.announceChannel(channel.id);
    }
    if (share.already) {
      this.logger.log({ channel_id: channel.id, remote_id: rc.remote_id }, 'remote already invited; nothing changed');
      return { newly_shared: false, already_invited: true, delivered: share.confirmed, ...remote };
    }
    if (pending) {
      this.logger.log(
        { channel_id: channel.id, remote_id: rc.remote_id, actor_id: req.actor_id, readonly: req.readonly },
        'remote invited; the invitation is sent when the connection is accepted',
      );
      return { newly_shared: recorded.newlyShared, already_invited: false, delivered: false, ...remote };
    }
    this.logger.log({ channel_id: channel.id, remote_id: rc.remote_id, actor_id: req.actor_id, readonly: req.readonly }, 'remote invited');
    const delivered = await this.deliverNow({ id: share.id, channel_id: channel.id, remote_id: rc.remote_id });
    return { newly_shared: recorded.newlyShared, already_invited: false, delivered, ...remote };
  }

  /**
   * RPC ShareDirectChannel: a direct or group channel created here with remote members is shared with the connection
   * of each remote member (the home relays between them, as for team channels). Every remote member must come from a
   * directly connected workspace: a user relayed here by another connection could not receive the invitation.
   */
  async shareDirect(req: ShareDirectChannelRequest): Promise<ShareDirectChannelReply> {
    if (!this.enabled()) throw new AppError('api.command_share.service_disabled', 'Shared Channels Service is disabled.', 501);
    if (!this.config.featureFlags.enableSharedChannelsDMs) {
      throw AppError.badRequest('api.command_share.channel_invite_dm.error', 'Direct and group messages cannot be shared.');
    }
    if (!isValidId(req.channel_id)) throw AppError.invalidParam('channel_id');
    const channel = await this.dataSource.getRepository(Channel).findOneBy({ id: req.channel_id });
    if (!channel || channel.delete_at > 0 || !isPersonal(channel)) {
      throw AppError.badRequest('api.command_share.invalid_channel.error', 'Invalid channel: not a direct or group channel.');
    }
    const remoteMembers = (await this.participants(channel.id)).filter((u) => u.remote_id);
    const relayed = remoteMembers.find((u) => originRemoteId(u) !== u.remote_id);
    if (relayed) throw notDirectlyConnectedError(relayed.username);
    const remoteIds = [...new Set(remoteMembers.map((u) => u.remote_id))];
    if (remoteIds.length === 0) return { invited: [], delivered: [] };
    const rcs = await this.dataSource.getRepository(RemoteCluster).findBy({ remote_id: In(remoteIds) });
    if (rcs.length !== remoteIds.length || rcs.some((rc) => rc.delete_at > 0 || !isConfirmedRemote(rc))) throw invalidRemoteError();

    const recorded = await this.record(channel, rcs, req.actor_id, false);
    if (recorded.newlyShared) await this.announceChannel(channel.id);
    const fresh = recorded.remotes.filter((r) => !r.already);
    this.logger.log({ channel_id: channel.id, type: channel.type, remote_ids: fresh.map((r) => r.remote_id) }, 'direct channel shared');
    const results = await Promise.all(fresh.map((r) => this.deliverNow({ id: r.id, channel_id: channel.id, remote_id: r.remote_id })));
    return { invited: fresh.map((r) => r.remote_id), delivered: fresh.filter((_, i) => results[i]).map((r) => r.remote_id) };
  }

  /**
   * Records the channel as shared from here (if it was not) and an unconfirmed invitation for each remote not
   * invited yet, in one transaction. The new invitations to confirmed remotes are leased to this replica, which sends
   * them right away; those to pending connections are left due, for whoever sees the connection confirmed first.
   */
  private async record(channel: Channel, rcs: RemoteCluster[], actorId: string, readonly: boolean): Promise<Recorded> {
    const now = Date.now();
    return this.dataSource.transaction(async (tx) => {
      const inserted = await tx
        .createQueryBuilder()
        .insert()
        .into(SharedChannel)
        .values({
          channel_id: channel.id,
          team_id: channel.team_id,
          home: true,
          readonly: false,
          share_name: channel.name,
          share_display_name: channel.display_name,
          share_purpose: channel.purpose,
          share_header: channel.header,
          creator_id: actorId,
          create_at: now,
          update_at: now,
          remote_id: '',
        })
        .orIgnore()
        .returning(['channel_id'])
        .execute();
      const newlyShared = (inserted.raw as unknown[]).length > 0;
      const sc = await tx.getRepository(SharedChannel).findOne({ where: { channel_id: channel.id }, lock: { mode: 'pessimistic_write' } });
      if (!sc || !sc.home) throw notHomeInviteError();
      await tx.getRepository(Channel).update({ id: channel.id, shared: false }, { shared: true, update_at: now });
      const scrs = tx.getRepository(SharedChannelRemote);
      const remotes: Recorded['remotes'] = [];
      for (const rc of rcs) {
        const scr = await scrs.findOne({ where: { channel_id: channel.id, remote_id: rc.remote_id }, lock: { mode: 'pessimistic_write' } });
        if (scr && scr.delete_at === 0) {
          remotes.push({ remote_id: rc.remote_id, id: scr.id, already: true, confirmed: scr.is_invite_confirmed });
          continue;
        }
        const sendNow = isConfirmedRemote(rc);
        const fields = {
          update_at: now,
          delete_at: 0,
          creator_id: actorId,
          is_invite_accepted: true,
          is_invite_confirmed: false,
          readonly,
          // No back-fill: content from the invitation on is delivered, including what is written while it is pending.
          last_post_update_at: now,
          last_post_id: '',
          last_post_create_at: now,
          last_post_create_id: '',
          last_members_sync_at: 0,
          last_members_sync_seq: 0,
          next_sync_at: 0,
          // Claimed by this request, which sends it right away; the poller takes it only after a failure (or a crash).
          lease_owner: sendNow ? this.config.instanceId : '',
          lease_until: sendNow ? now + this.config.sharedChannels.leaseMs : 0,
          failures: 0,
          last_error: '',
          last_sync_at: 0,
          interrupted_since: 0,
          interruption_notified: false,
        };
        const id = scr?.id ?? newId();
        if (scr) await scrs.update({ id }, fields);
        else await scrs.insert({ id, channel_id: channel.id, remote_id: rc.remote_id, create_at: now, ...fields });
        remotes.push({ remote_id: rc.remote_id, id, already: false, confirmed: false });
      }
      return { newlyShared, remotes };
    });
  }

  /** Sends a claimed invitation now, answering within the caller's bus timeout; a slow peer's answer is still recorded. */
  private deliverNow(claim: Claim): Promise<boolean> {
    const budget = Math.max(500, this.config.bus.requestTimeoutMs - 2000);
    return this.within(this.track(this.deliver(claim)), budget);
  }

  /** The members of a channel, as users. */
  private async participants(channelId: string): Promise<User[]> {
    const rows: { user_id: string }[] = await this.dataSource.query('SELECT user_id FROM channel_members WHERE channel_id = $1', [
      channelId,
    ]);
    return rows.length === 0 ? [] : this.dataSource.getRepository(User).findBy({ id: In(rows.map((r) => r.user_id)) });
  }

  /**
   * The invitation for one remote. For a direct or group channel it lists every member (`direct_participant_ids`)
   * and carries, sanitised, the members the remote does not own (`direct_participants`), so that it can create them.
   */
  private async payloadFor(channel: Channel, sc: SharedChannel, scr: SharedChannelRemote): Promise<ChannelInvite> {
    const payload = invitePayloadFor(channel, sc, scr.readonly);
    if (!isPersonal(channel)) return payload;
    const members = (await this.participants(channel.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
    return {
      ...payload,
      direct_participant_ids: members.map((u) => u.id),
      direct_participants: members
        .filter((u) => u.remote_id !== scr.remote_id)
        .map((u) => toSyncUser(u, { includeEmail: this.config.sharedChannels.syncUserEmail })),
    };
  }

  /** One poller round: every pending invitation whose retry time has come. */
  async retryDue(): Promise<void> {
    try {
      while (!this.stopped) {
        const claimed = await this.claim();
        if (claimed.length === 0) return;
        await this.deliverAll(claimed);
        if (claimed.length < CLAIM_BATCH) return;
      }
    } catch (err) {
      this.logger.error({ err: String(err) }, 'pending invitations round failed');
    }
  }

  /** A remote came online: its pending invitations are sent now, whatever their backoff. */
  retryRemote(remoteId: string): Promise<void> {
    return this.sendPendingOf(remoteId, 'remote online: sending pending invitations');
  }

  /** The peer accepted a connection created here: the channels shared with it while it was pending are sent now. */
  connectionConfirmed(remoteId: string): Promise<void> {
    return this.sendPendingOf(remoteId, 'connection accepted: sending the invitations recorded while it was pending');
  }

  private async sendPendingOf(remoteId: string, why: string): Promise<void> {
    const job = (async () => {
      const claimed = await this.claim(remoteId);
      if (claimed.length > 0) this.logger.log({ remote_id: remoteId, count: claimed.length }, why);
      await this.deliverAll(claimed);
    })();
    await this.track(job).catch((err) => this.logger.error({ remote_id: remoteId, err: String(err) }, 'pending invitations not sent'));
  }

  private async deliverAll(claimed: Claim[]): Promise<void> {
    const width = Math.max(1, this.config.sharedChannels.concurrency);
    for (let i = 0; i < claimed.length; i += width) {
      await Promise.all(claimed.slice(i, i + width).map((c) => this.deliver(c)));
    }
  }

  /**
   * Claims unconfirmed, live shares not held by anyone: due ones (`next_sync_at <= now`), or all of one remote.
   * Shares with a pending connection are not claimed. The claim is a lease; `next_sync_at` moves with it so that a
   * replica that dies leaves them due after the lease.
   */
  private claim(remoteId?: string): Promise<Claim[]> {
    const now = Date.now();
    const until = now + this.config.sharedChannels.leaseMs;
    return this.dataSource.transaction(async (tx) => {
      const rows: Claim[] = await tx.query(
        `SELECT scr.id, scr.channel_id, scr.remote_id FROM shared_channel_remotes scr
         JOIN remote_clusters rc ON rc.remote_id = scr.remote_id
         WHERE scr.delete_at = 0 AND scr.is_invite_confirmed = false AND scr.lease_until <= $1 AND ${CONFIRMED_REMOTE_SQL}
           AND ${remoteId ? 'scr.remote_id = $2' : 'scr.next_sync_at <= $1'}
         ORDER BY scr.next_sync_at LIMIT ${CLAIM_BATCH} FOR UPDATE OF scr SKIP LOCKED`,
        remoteId ? [now, remoteId] : [now],
      );
      if (rows.length === 0) return [];
      await tx.query(`UPDATE shared_channel_remotes SET lease_owner = $1, lease_until = $2, next_sync_at = $2 WHERE id = ANY($3)`, [
        this.config.instanceId,
        until,
        rows.map((r) => r.id),
      ]);
      return rows;
    });
  }

  /** Sends one claimed invitation and records the outcome; true when the remote accepted it. */
  private async deliver(claim: Claim): Promise<boolean> {
    try {
      const scr = await this.dataSource.getRepository(SharedChannelRemote).findOneBy({ id: claim.id });
      if (!scr || scr.delete_at > 0) return false;
      if (scr.is_invite_confirmed) return true;
      const channel = await this.dataSource.getRepository(Channel).findOneBy({ id: claim.channel_id });
      const sc = await this.dataSource.getRepository(SharedChannel).findOneBy({ channel_id: claim.channel_id });
      const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: claim.remote_id });
      if (!channel || !sc || !sc.home || !rc || rc.delete_at > 0 || !isConfirmedRemote(rc)) {
        await this.release(claim.id);
        return false;
      }
      const payload = await this.payloadFor(channel, sc, scr);
      let answer: PeerResponse;
      try {
        answer = await this.bus.request(SendToPeer, {
          remote_id: claim.remote_id,
          topic: 'sharedchannel_invite',
          payload: { ...payload },
        });
      } catch (err) {
        answer = { status: 'FAIL', err: err instanceof Error ? err.message : String(err) };
      }
      if (answer.status === 'OK') return await this.confirmed(claim, rc, isPersonal(channel));
      await this.failed(claim, scr.failures + 1, answer.err || 'the remote refused the invitation');
      return false;
    } catch (err) {
      this.logger.error({ channel_id: claim.channel_id, remote_id: claim.remote_id, err: String(err) }, 'invitation delivery failed');
      return false;
    }
  }

  private async confirmed(claim: Claim, rc: RemoteCluster, personal: boolean): Promise<boolean> {
    const now = Date.now();
    const result = await this.dataSource
      .createQueryBuilder()
      .update(SharedChannelRemote)
      .set({ is_invite_confirmed: true, failures: 0, last_error: '', next_sync_at: 0, lease_owner: '', lease_until: 0, update_at: now })
      .where('id = :id AND delete_at = 0 AND is_invite_confirmed = false', { id: claim.id })
      .execute();
    // Nothing updated: uninvited meanwhile, or confirmed by another attempt (which posted the notice).
    if (!result.affected) return false;
    invitesTotal.inc({ result: 'delivered' });
    const name = rc.display_name || rc.name;
    this.logger.log({ channel_id: claim.channel_id, remote_id: claim.remote_id }, 'invitation accepted by the remote');
    try {
      // A direct or group message is the members' conversation: no notice about the connections it travels through.
      if (!personal) await this.posts.notice(claim.channel_id, sharedWith(name), stateProps('shared', rc.remote_id, name));
    } catch (err) {
      this.logger.error({ channel_id: claim.channel_id, err: String(err) }, 'could not post the sharing notice');
    }
    // Whatever was written while the invitation was pending is due now.
    this.bus.emit(SharedChannelChangedEvent, { channel_id: claim.channel_id });
    return true;
  }

  private async failed(claim: Claim, failures: number, err: string): Promise<void> {
    const { retryBaseMs: baseMs, retryMaxMs: capMs } = this.config.sharedChannels;
    const retryIn = backoffDelayMs(failures, { baseMs, capMs });
    const now = Date.now();
    await this.dataSource
      .createQueryBuilder()
      .update(SharedChannelRemote)
      .set({
        failures: () => 'failures + 1',
        last_error: err.slice(0, MAX_ERROR_CHARS),
        next_sync_at: now + retryIn,
        lease_owner: '',
        lease_until: 0,
      })
      .where('id = :id AND delete_at = 0 AND is_invite_confirmed = false', { id: claim.id })
      .execute();
    const review = err === INVITE_PENDING_REVIEW;
    invitesTotal.inc({ result: review ? 'pending_review' : 'failed' });
    const log = { channel_id: claim.channel_id, remote_id: claim.remote_id, err, failures, retry_in_ms: retryIn };
    if (review) this.logger.log(log, 'invitation waits for review by the remote; will ask again');
    else this.logger.warn(log, 'invitation not delivered; will retry');
  }

  private async release(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE shared_channel_remotes SET lease_owner = '', lease_until = 0 WHERE id = $1`, [id]);
  }

  private async announceChannel(channelId: string): Promise<void> {
    const channel = await this.dataSource.getRepository(Channel).findOneBy({ id: channelId });
    if (!channel) return;
    await this.events
      .toChannel(channelId, WsEvent.ChannelUpdated, { channel: JSON.stringify(toChannelJson(channel)) })
      .catch((err) => this.logger.error({ channel_id: channelId, err: String(err) }, 'could not announce the share'));
  }

  private track<T>(job: Promise<T>): Promise<T> {
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job)).catch(() => undefined);
    return job;
  }

  private within(job: Promise<boolean>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    return Promise.race([job, timeout]).finally(() => clearTimeout(timer));
  }

  private enabled(): boolean {
    return remoteClusterServiceEnabled(this.config) && this.config.connectedWorkspaces.enableSharedChannels;
  }
}

export function notHomeInviteError(): AppError {
  return AppError.badRequest(
    'api.command_share.channel_invite_not_home.error',
    'Cannot invite secure connection to a shared channel originating somewhere else.',
  );
}
