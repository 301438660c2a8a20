import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, Bus } from '@fedchat/common';
import { SyncUserSource, SyncUserWire, toSyncUser } from '@fedchat/chat';
import { newId } from '@fedchat/crypto';
import { returning, User } from '@fedchat/models';
import { DataSource, In } from 'typeorm';
import { GLOBAL_SYNC_MAX_USERS } from '../user-sync-message';
import { UserSyncMetrics } from '../user-sync.metrics';
import { idList, NotConfirmedError, RemoteFailedError, sendSyncMsg } from './peer-send';
import { ClaimedRemote, RemoteLease } from './remote-lease.service';

/**
 * Global user sync messages on their way to one remote at once. Mattermost itself sends up to 10 messages at a time
 * (MaxConcurrentSends); 4 keeps the pipe full on a loopback round trip without crowding a peer.
 */
const GLOBAL_SYNC_IN_FLIGHT = 4;
/** Users per global user sync message while behind: the most a Mattermost peer takes (it clamps its batch size to 200). */
const GLOBAL_SYNC_BACKLOG_BATCH = GLOBAL_SYNC_MAX_USERS;
/**
 * Bytes of users in one global user sync message at most: a peer refuses a body over its MaximumPayloadSizeBytes
 * (Mattermost's and our default: 300,000), and the frame around the users needs some room too.
 */
const GLOBAL_SYNC_MESSAGE_BYTES = 240_000;
/** Users per `sharedchannel_sync` message of the profile sync (the receiver takes up to 200). */
const PROFILE_BATCH = 100;
/** Users per message that ride with membership changes (the receiver takes up to 200). */
const MEMBERSHIP_MESSAGE = 200;

/** The advisory lock class of `channel_member_history` writers (key 2: hash of the channel id); see the trigger. */
const MEMBER_HISTORY_LOCK_CLASS = 7301;

/** One membership event read from `channel_member_history`. */
interface MemberEvent {
  user_id: string;
  is_add: boolean;
  at: number;
}

/**
 * What the user-sync app sends to one claimed remote, each part driven by a durable cursor so that a crash or a
 * failed delivery only means sending again from the cursor (receivers apply users and memberships idempotently):
 * - global user sync: local users past `(last_global_user_sync_at, last_global_user_sync_id)`;
 * - profile sync: members of channels shared with the remote whose `shared_channel_users.last_sync_at` is older than
 *   their `update_at`;
 * - membership sync: `channel_member_history` rows numbered past each pair's `last_members_sync_seq`.
 * A user is never sent to the remote it belongs to.
 */
@Injectable()
export class UserSyncSender {
  private readonly log = new Logger('UserSyncSender');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
    private readonly lease: RemoteLease,
    private readonly metrics: UserSyncMetrics,
  ) {}

  /** Sends every part that is on; stops early (without error) when the lease is lost or `stop()` says so. */
  async run(remote: ClaimedRemote, stop: () => boolean): Promise<void> {
    if (this.config.featureFlags.enableSyncAllUsersForRemoteCluster && !(await this.globalUsers(remote, stop))) return;
    if (!(await this.profiles(remote, stop))) return;
    if (this.config.featureFlags.enableSharedChannelsMemberSync) await this.memberships(remote, stop);
  }

  private wire(user: SyncUserSource): SyncUserWire {
    return toSyncUser(user, { includeEmail: this.config.sharedChannels.syncUserEmail });
  }

  // ---- global user sync (protocol §5.9) --------------------------------------------------------------------------

  /**
   * Local users changed since the cursor, in `(update_at, id)` order, one batch per message. Up to
   * GLOBAL_SYNC_IN_FLIGHT messages are on their way at once (each user is in one of them, so the order in which the
   * remote applies them does not matter); the cursor moves over a batch only once it and every batch before it are
   * confirmed, so a failure resends from the first unconfirmed one. The first batch has `GlobalUserSyncBatchSize`
   * users; once a read comes back full (a backlog: a first sync, or a restart), batches take the most a Mattermost peer
   * accepts (GLOBAL_SYNC_BACKLOG_BATCH), always within GLOBAL_SYNC_MESSAGE_BYTES of users. False if the lease was lost.
   */
  async globalUsers(remote: ClaimedRemote, stop: () => boolean): Promise<boolean> {
    const configured = this.config.connectedWorkspaces.globalUserSyncBatchSize;
    let size = configured;
    const inFlight: { users: SyncUserSource[]; answer: Promise<Record<string, unknown>> }[] = [];
    let readCursor = remote.globalCursor;
    let exhausted = false;
    try {
      while (!stop()) {
        while (!exhausted && inFlight.length < GLOBAL_SYNC_IN_FLIGHT) {
          const read = await this.usersAfter(readCursor, size);
          if (read.length < size) exhausted = true;
          else size = Math.max(configured, GLOBAL_SYNC_BACKLOG_BATCH);
          if (read.length === 0) break;
          const { users, wire } = this.fitMessage(read);
          // A batch cut short by its size leaves the rest for the next read.
          if (users.length < read.length) exhausted = false;
          if (!(await this.lease.renewIfDue(remote))) return false;
          const answer = sendSyncMsg(this.bus, remote.remote_id, 'sharedchannel_global_user_sync', { channel_id: '', users: wire });
          answer.catch(() => undefined); // awaited in order below; a failure ahead of it discards it
          inFlight.push({ users, answer });
          const last = users[users.length - 1];
          readCursor = { at: last.update_at, id: last.id };
        }
        const head = inFlight.shift();
        if (!head) return true;
        let response: Record<string, unknown>;
        try {
          response = await head.answer;
        } catch (err) {
          if (!(err instanceof NotConfirmedError)) throw err;
          // The remote does not take global user sync: the cursor stays, the other parts go on, a later run asks again.
          this.log.debug({ remoteId: remote.remote_id }, 'global user sync not accepted by the remote');
          return true;
        }
        this.countUsers(remote.remote_id, head.users.length, response);
        const last = head.users[head.users.length - 1];
        if (!(await this.lease.advanceGlobal(remote, { at: last.update_at, id: last.id }, head.users))) return false;
      }
      return false;
    } finally {
      // Answers still on their way are not needed any more (they are resent from the cursor); let them settle first,
      // so that a next run does not race them.
      await Promise.allSettled(inFlight.map((m) => m.answer));
    }
  }

  /** The leading users of `read` whose wire form fits one message (at least one), and that wire form by id. */
  private fitMessage(read: SyncUserSource[]): { users: SyncUserSource[]; wire: Record<string, SyncUserWire> } {
    const wire: Record<string, SyncUserWire> = {};
    let bytes = 0;
    let count = 0;
    for (const user of read) {
      const one = this.wire(user);
      bytes += JSON.stringify(one).length + user.id.length + 4;
      if (count > 0 && bytes > GLOBAL_SYNC_MESSAGE_BYTES) break;
      wire[user.id] = one;
      count++;
    }
    return { users: read.slice(0, count), wire };
  }

  /** Local users past the cursor, only the columns that go on the wire (plain SQL: this is the sender's hot read). */
  private async usersAfter(cursor: { at: number; id: string }, limit: number): Promise<SyncUserSource[]> {
    const rows: SyncUserSource[] = await this.dataSource.query(
      `SELECT id, create_at::float8 AS create_at, update_at::float8 AS update_at, delete_at::float8 AS delete_at, username,
              email, nickname, first_name, last_name, position, props, locale, timezone,
              last_picture_update::float8 AS last_picture_update, remote_id, is_bot
       FROM users
       WHERE remote_id = '' AND (update_at, id) > ($1, $2)
       ORDER BY update_at, id
       LIMIT $3`,
      [cursor.at, cursor.id, limit],
    );
    return rows;
  }

  // ---- profile sync ------------------------------------------------------------------------------------------------

  /** The backlog of the profile sync over the online remotes (the work more replicas could share), for the gauge. */
  async pendingProfiles(): Promise<number> {
    const [row]: { n: string }[] = await this.dataSource.query(
      `SELECT count(*) AS n
       FROM shared_channel_users s
       JOIN remote_clusters rc ON rc.remote_id = s.remote_id AND rc.delete_at = 0 AND rc.is_online
       JOIN users u ON u.id = s.user_id AND u.remote_id <> s.remote_id AND s.last_sync_at < u.update_at
       JOIN shared_channel_remotes scr ON scr.channel_id = s.channel_id AND scr.remote_id = s.remote_id
         AND scr.delete_at = 0 AND scr.is_invite_confirmed
       JOIN channel_members m ON m.channel_id = s.channel_id AND m.user_id = s.user_id`,
    );
    return Number(row?.n ?? 0);
  }

  /** Changed profiles of users the remote already knows through a shared channel they are still in. */
  async profiles(remote: ClaimedRemote, stop: () => boolean): Promise<boolean> {
    while (!stop()) {
      const rows: { channel_id: string; user_id: string }[] = await this.dataSource.query(
        `SELECT s.channel_id, s.user_id
         FROM shared_channel_users s
         JOIN users u ON u.id = s.user_id AND u.remote_id <> s.remote_id AND s.last_sync_at < u.update_at
         JOIN shared_channel_remotes scr ON scr.channel_id = s.channel_id AND scr.remote_id = s.remote_id
           AND scr.delete_at = 0 AND scr.is_invite_confirmed
         JOIN channel_members m ON m.channel_id = s.channel_id AND m.user_id = s.user_id
         WHERE s.remote_id = $1
         ORDER BY s.channel_id, s.user_id
         LIMIT $2`,
        [remote.remote_id, PROFILE_BATCH],
      );
      if (rows.length === 0) return true;
      const users = new Map(
        (await this.dataSource.getRepository(User).findBy({ id: In([...new Set(rows.map((r) => r.user_id))]) })).map((u) => [u.id, u]),
      );
      const byChannel = new Map<string, User[]>();
      for (const r of rows) byChannel.set(r.channel_id, [...(byChannel.get(r.channel_id) ?? []), users.get(r.user_id)!]);
      for (const [channelId, list] of byChannel) {
        if (!(await this.lease.renew(remote))) return false;
        const response = await sendSyncMsg(this.bus, remote.remote_id, 'sharedchannel_sync', {
          channel_id: channelId,
          users: Object.fromEntries(list.map((u) => [u.id, this.wire(u)])),
        });
        this.countUsers(remote.remote_id, list.length, response);
        // Refused users would be refused again: they count as sent (and are logged), as Mattermost does.
        await this.recordSent(channelId, remote.remote_id, list);
      }
    }
    return false;
  }

  // ---- membership sync (protocol §5.10) ----------------------------------------------------------------------------

  /**
   * Per confirmed team-channel pair of the remote, the membership events past its cursor. A pair whose message the
   * remote answers FAIL keeps its cursor (sent again next run) and the other pairs go on; the run then fails.
   */
  async memberships(remote: ClaimedRemote, stop: () => boolean): Promise<boolean> {
    const pairs: { id: string; channel_id: string; last_members_sync_seq: string }[] = await this.dataSource.query(
      `SELECT scr.id, scr.channel_id, scr.last_members_sync_seq FROM shared_channel_remotes scr
       JOIN channels c ON c.id = scr.channel_id AND c.type IN ('O', 'P')
       WHERE scr.remote_id = $1 AND scr.delete_at = 0 AND scr.is_invite_confirmed
       ORDER BY scr.channel_id`,
      [remote.remote_id],
    );
    let failed: RemoteFailedError | undefined;
    for (const pair of pairs) {
      let cursor = Number(pair.last_members_sync_seq);
      const horizon = await this.committedHorizon(pair.channel_id);
      if (horizon === undefined) {
        // A membership change of the channel is being written: its doorbell (or the next poll) brings us back.
        this.log.debug({ remoteId: remote.remote_id, channelId: pair.channel_id }, 'membership changes in flight; later');
        continue;
      }
      while (!stop()) {
        const batch = await this.memberEvents(pair.channel_id, cursor, horizon);
        if (batch.events.length === 0) break;
        if (!(await this.lease.renew(remote))) return false;
        try {
          await this.sendMemberships(remote.remote_id, pair.channel_id, batch.events);
        } catch (err) {
          if (err instanceof RemoteFailedError) {
            failed ??= err;
            break;
          }
          if (!(err instanceof NotConfirmedError)) throw err;
          // Membership sync is off at the remote: the cursor stays until it takes the changes.
          this.log.debug({ remoteId: remote.remote_id, channelId: pair.channel_id }, 'membership changes not accepted by the remote');
          break;
        }
        const moved = await returning(
          this.dataSource,
          `UPDATE shared_channel_remotes SET last_members_sync_seq = $3, last_members_sync_at = GREATEST(last_members_sync_at, $4)
           WHERE id = $1 AND last_members_sync_seq = $2 RETURNING id`,
          [pair.id, cursor, batch.next, batch.latestAt],
        );
        // A reconnection reset the cursor meanwhile: the next run starts the full reconcile.
        if (moved.length === 0) break;
        cursor = batch.next;
        if (!batch.full) break;
      }
      if (stop()) return false;
    }
    if (failed) throw failed;
    return true;
  }

  /**
   * The highest `change_seq` up to which every history row of the channel is committed, or undefined while a
   * transaction writing one is in flight. Join and leave times are taken before commit, so a cursor over them could
   * pass a change that commits late; the numbers are drawn under a shared lock on the channel held until commit (see
   * the trigger in migration MembershipSyncSeq1763870000000), so while this side holds that lock exclusively, nothing
   * numbered so far can still appear, and whatever comes later is numbered higher. The lock is only tried, never
   * waited for: writers are never held up by the sender.
   */
  private async committedHorizon(channelId: string): Promise<number | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const [lock]: { got: boolean }[] = await tx.query('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS got', [
        MEMBER_HISTORY_LOCK_CLASS,
        channelId,
      ]);
      if (!lock.got) return undefined;
      const [seq]: { last_value: string; is_called: boolean }[] = await tx.query(
        'SELECT last_value, is_called FROM channel_member_history_change_seq',
      );
      return seq.is_called ? Number(seq.last_value) : 0;
    });
  }

  /**
   * History rows of the channel numbered after the cursor and up to the horizon, in order, at most
   * MemberSyncBatchSize of them; the latest event per user (the last written) wins.
   */
  private async memberEvents(
    channelId: string,
    cursor: number,
    horizon: number,
  ): Promise<{ events: MemberEvent[]; next: number; latestAt: number; full: boolean }> {
    const limit = this.config.connectedWorkspaces.memberSyncBatchSize;
    const rows: (MemberEvent & { seq: number })[] = await this.dataSource.query(
      `SELECT user_id, leave_time IS NULL AS is_add,
              GREATEST(join_time, COALESCE(leave_time, 0))::float8 AS at, change_seq::float8 AS seq
       FROM channel_member_history
       WHERE channel_id = $1 AND change_seq > $2 AND change_seq <= $3
       ORDER BY change_seq
       LIMIT $4`,
      [channelId, cursor, horizon, limit],
    );
    if (rows.length === 0) return { events: [], next: cursor, latestAt: 0, full: false };
    // In write order, so the last row of a user is their latest event (times could disagree across replicas' clocks).
    const latest = new Map<string, MemberEvent>();
    for (const r of rows) latest.set(r.user_id, { user_id: r.user_id, is_add: r.is_add, at: Number(r.at) });
    return {
      events: [...latest.values()],
      next: Number(rows[rows.length - 1].seq),
      latestAt: Math.max(...rows.map((r) => Number(r.at))),
      full: rows.length >= limit,
    };
  }

  /** The changes (minus the remote's own users: no echo), with added users the remote does not know yet. */
  private async sendMemberships(remoteId: string, channelId: string, events: MemberEvent[]): Promise<void> {
    const users = await this.dataSource.getRepository(User).findBy({ id: In(events.map((e) => e.user_id)) });
    const byId = new Map(users.map((u) => [u.id, u]));
    const changes = events.filter((e) => byId.has(e.user_id) && byId.get(e.user_id)!.remote_id !== remoteId);
    for (let i = 0; i < changes.length; i += MEMBERSHIP_MESSAGE) {
      const part = changes.slice(i, i + MEMBERSHIP_MESSAGE);
      const riders = await this.unsynced(
        channelId,
        remoteId,
        part.filter((c) => c.is_add).map((c) => byId.get(c.user_id)!),
      );
      const response = await sendSyncMsg(this.bus, remoteId, 'sharedchannel_sync', {
        channel_id: channelId,
        ...(riders.length ? { users: Object.fromEntries(riders.map((u) => [u.id, this.wire(u)])) } : {}),
        membership_changes: part.map((c) => ({
          channel_id: channelId,
          user_id: c.user_id,
          is_add: c.is_add,
          remote_id: '',
          change_time: c.at,
        })),
      });
      if (riders.length) {
        this.countUsers(remoteId, riders.length, response);
        await this.recordSent(channelId, remoteId, riders);
      }
      this.metrics.membershipSent.inc({ remote_id: remoteId }, part.length);
      const refused = idList(response.membership_errors);
      if (refused.length) {
        this.metrics.refused.inc({ remote_id: remoteId, kind: 'sent' }, refused.length);
        this.log.warn({ remoteId, channelId, users: refused }, 'remote refused membership changes');
      }
    }
  }

  /** Of `users`, those never sent to the remote for this channel, or changed since. */
  private async unsynced(channelId: string, remoteId: string, users: User[]): Promise<User[]> {
    if (users.length === 0) return [];
    const rows: { user_id: string; last_sync_at: string }[] = await this.dataSource.query(
      `SELECT user_id, last_sync_at FROM shared_channel_users WHERE channel_id = $1 AND remote_id = $2 AND user_id = ANY($3)`,
      [channelId, remoteId, users.map((u) => u.id)],
    );
    const synced = new Map(rows.map((r) => [r.user_id, Number(r.last_sync_at)]));
    return users.filter((u) => (synced.get(u.id) ?? -1) < u.update_at);
  }

  /** Remembers which version of each user the remote has, per channel ('' for the global user sync): the `update_at` sent. */
  private async recordSent(channelId: string, remoteId: string, users: User[]): Promise<void> {
    const now = Date.now();
    await this.dataSource.query(
      `INSERT INTO shared_channel_users (id, user_id, channel_id, remote_id, create_at, last_sync_at)
       SELECT x.id, x.user_id, $1, $2, $3, x.at FROM unnest($4::varchar[], $5::varchar[], $6::bigint[]) AS x(id, user_id, at)
       ON CONFLICT (user_id, channel_id, remote_id) DO UPDATE SET last_sync_at = GREATEST(shared_channel_users.last_sync_at, EXCLUDED.last_sync_at)`,
      [channelId, remoteId, now, users.map(() => newId()), users.map((u) => u.id), users.map((u) => u.update_at)],
    );
  }

  private countUsers(remoteId: string, sent: number, response: Record<string, unknown>): void {
    this.metrics.usersSent.inc({ remote_id: remoteId }, sent);
    const refused = idList(response.user_errors);
    if (refused.length) {
      this.metrics.refused.inc({ remote_id: remoteId, kind: 'sent' }, refused.length);
      this.log.warn({ remoteId, users: refused }, 'remote refused users');
    }
  }
}
