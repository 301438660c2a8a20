import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SHARED_CHANNEL_STATE_POST, SYSTEM_GENERIC_POST, SystemPosts, toChannelJson, WebSocketEvents, WsEvent } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError } from '@fedchat/common';
import { ChangedReply, ChannelRemoteRequest, ChannelRequest, ChannelsTold, PeerMessageReceived, PeerResponse } from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import { Channel, RemoteCluster, SharedChannel, SharedChannelRemote } from '@fedchat/models';
import { DataSource, In } from 'typeorm';
import { PeerNotifier } from './peer-notifier.service';
import { noLongerSharedWith, stateProps, UNSHARED } from './sharing.texts';

/** What to end, decided under the lock of the shared_channels row. */
interface Plan {
  /** Remotes whose live shares end now. */
  remotes: string[] | 'all';
  /** Delete the share record: always, or only when no live remote is left. */
  unshare: 'always' | 'if-none-left';
  /** Also archive the channel: a copy whose home archived it, or (removal mode `archive`) whose share ended. */
  archive?: boolean;
  /** Refuse (with this reason) when none of `remotes` had a live share. */
  requireRemoved?: string;
}

/** What ended, for the notices and events that follow the commit. */
interface Detached {
  channelId: string;
  home: boolean;
  /** The remote that owns the channel, on a guest. */
  homeRemoteId: string;
  /** Remotes whose live share ended now. */
  removed: string[];
  /** Those of `removed` whose invitation had been accepted (the others were pending). */
  confirmed: string[];
  unshared: boolean;
  archived: boolean;
}

const NOT_SHARED = 'channel is not shared';

/**
 * Everything that ends sharing: uninvite, unshare (asked locally, or by the peer), the peer's "no longer shared"
 * answer to a sync, a deleted connection, and the archive of a home channel. Each change happens in one transaction
 * under the lock of the channel's shared_channels row (so two endings of the same channel serialise); notices,
 * websocket events and messages to peers follow the commit.
 *
 * Unsharing locally deletes the shared_channels row (its shared_channel_remotes rows go with it), clears
 * `channels.shared`, announces `channel_updated`, and posts Mattermost's "This channel is no longer shared."
 *
 * Removal mode (`SHARED_CHANNELS_REMOVAL_MODE`): in `archive` (Mattermost 10.10) a copy of a channel homed elsewhere
 * never outlives its share: whoever ends it, the copy is archived here too (members keep reading its history), and
 * a re-invite from the home restores it. The home's channel is never archived by a share ending. In `legacy` the copy
 * stays an ordinary local channel, and our own removals ask remotes for the same (`archive_copy: false`).
 */
@Injectable()
export class ShareTeardown {
  private readonly logger = new Logger('ShareTeardown');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly posts: SystemPosts,
    private readonly events: WebSocketEvents,
    private readonly notifier: PeerNotifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The home stops sharing a channel with one remote (RPC UninviteRemote); a guest cannot. */
  async uninvite(req: ChannelRemoteRequest): Promise<ChangedReply> {
    if (!isValidId(req.channel_id)) throw AppError.invalidParam('channel_id');
    if (!isValidId(req.remote_id)) throw AppError.invalidParam('remote_id');
    const result = await this.detach(req.channel_id, (sc) => {
      if (!sc.home) throw notHomeError();
      return { remotes: [req.remote_id], unshare: 'if-none-left', requireRemoved: 'not shared with that remote' };
    });
    if (typeof result === 'string') return { changed: false };
    this.logger.log({ channel_id: req.channel_id, remote_id: req.remote_id, actor_id: req.actor_id }, 'remote uninvited');
    await this.notifier.unshareAndWait([req.remote_id], req.channel_id, this.budget());
    await this.announce(result, result.removed);
    return { changed: true };
  }

  /**
   * Stops sharing a channel (RPC UnshareChannel). On the home every remote is uninvited (and told); on a guest the
   * share ends here and the home is told.
   */
  async unshare(req: ChannelRequest): Promise<ChangedReply> {
    if (!isValidId(req.channel_id)) throw AppError.invalidParam('channel_id');
    if (!(await this.dataSource.getRepository(Channel).existsBy({ id: req.channel_id }))) throw AppError.notFound('channel');
    const result = await this.detach(req.channel_id, (sc) => ({
      remotes: 'all',
      unshare: 'always',
      archive: !sc.home && this.archiving(),
    }));
    if (typeof result === 'string') return { changed: false };
    const told = result.home ? result.removed : [result.homeRemoteId];
    await this.notifier.unshareAndWait(told, req.channel_id, this.budget());
    this.logger.log({ channel_id: req.channel_id, actor_id: req.actor_id, home: result.home, remotes: told }, 'channel unshared');
    await this.announce(result, told);
    return { changed: true };
  }

  /**
   * A peer answered a sync with `channel is no longer shared`: the same as receiving `sharedchannel_unshare` from it,
   * without telling it anything. False when the channel was not shared with that peer (nothing changed).
   */
  async peerStoppedSharing(channelId: string, remoteId: string): Promise<boolean> {
    const result = await this.detach(channelId, (sc) => this.peerPlan(sc, remoteId, this.archiving()));
    if (typeof result === 'string') return false;
    this.logger.log({ channel_id: channelId, remote_id: remoteId, home: result.home }, 'peer stopped sharing the channel');
    await this.announce(result, result.home ? result.confirmed : [remoteId]);
    return true;
  }

  /**
   * `sharedchannel_unshare` from a peer: `{channel_id, remote_id, archived?, archive_copy?}`. From the home of our copy
   * it ends the share and archives the copy (always when `archived`, the home archived it; else in removal mode
   * `archive` unless the home asks `archive_copy: false`); from a guest of our channel, it ends that guest's share.
   */
  async receiveUnshare({ remote_id: sender, msg }: PeerMessageReceived): Promise<PeerResponse> {
    const p = msg.payload ?? {};
    if (!isValidId(p.channel_id)) return this.refuse(sender, '', 'invalid unshare: channel_id is not a valid id');
    const channelId = p.channel_id;
    if (p.remote_id !== undefined && p.remote_id !== sender) {
      return this.refuse(sender, channelId, 'invalid unshare: remote_id is not the sender');
    }
    if (p.archived !== undefined && typeof p.archived !== 'boolean') {
      return this.refuse(sender, channelId, 'invalid unshare: archived must be a boolean');
    }
    if (p.archive_copy !== undefined && typeof p.archive_copy !== 'boolean') {
      return this.refuse(sender, channelId, 'invalid unshare: archive_copy must be a boolean');
    }
    const archive = p.archived === true || (this.archiving() && p.archive_copy !== false);
    const result = await this.detach(channelId, (sc) => this.peerPlan(sc, sender, archive));
    if (typeof result === 'string') return this.refuse(sender, channelId, result);
    this.logger.log(
      { channel_id: channelId, remote_id: sender, home: result.home, archived: result.archived },
      result.home ? 'guest left the shared channel' : 'home stopped sharing the channel',
    );
    // A declined invitation also ends here: only shares that were visible get a notice.
    await this.announce(result, result.home ? result.confirmed : [sender]);
    return { status: 'OK' };
  }

  /**
   * A connection is about to be deleted here (RPC TellConnectionRemoval, from the remote-cluster app while the peer
   * still trusts us): the peer is told, per channel, that each live share with it ends. For our channels it ends
   * (and archives) its copies; for its channels it ends our share. Waits at most `budgetMs`: what is not delivered
   * by then is not (the connection's credentials are wiped right after).
   */
  async tellConnectionRemoval(remoteId: string, budgetMs = this.budget(2)): Promise<ChannelsTold> {
    if (!isValidId(remoteId)) throw AppError.invalidParam('remote_id');
    const rows: { channel_id: string }[] = await this.dataSource.query(
      `SELECT channel_id FROM shared_channel_remotes WHERE remote_id = $1 AND delete_at = 0 AND is_invite_confirmed`,
      [remoteId],
    );
    const channelIds = rows.map((r) => r.channel_id);
    if (channelIds.length > 0) await this.notifier.unshareChannelsAndWait(remoteId, channelIds, budgetMs);
    this.logger.log({ remote_id: remoteId, channels: channelIds.length }, 'peer told its shares end with the connection');
    return { channels: channelIds.length };
  }

  /**
   * A connection was deleted: the remote-cluster app already ended its shares (same `delete_at` as the connection).
   * Each channel says so; home channels left without remotes stop being shared, and channels homed on that remote
   * stop being shared here (their copies archived in removal mode `archive`).
   */
  async connectionDeleted(remoteId: string): Promise<void> {
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: remoteId });
    if (!rc || rc.delete_at === 0) return;
    const rows: { channel_id: string; is_invite_confirmed: boolean }[] = await this.dataSource.query(
      `SELECT channel_id, is_invite_confirmed FROM shared_channel_remotes WHERE remote_id = $1 AND (delete_at = 0 OR delete_at = $2)`,
      [remoteId, rc.delete_at],
    );
    for (const row of rows) {
      try {
        const result = await this.detach(row.channel_id, (sc) =>
          sc.home
            ? { remotes: [remoteId], unshare: 'if-none-left' }
            : sc.remote_id === remoteId
              ? { remotes: 'all', unshare: 'always', archive: this.archiving() }
              : 'channel not homed on the deleted connection',
        );
        if (typeof result === 'string') continue;
        this.logger.log({ channel_id: row.channel_id, remote_id: remoteId, unshared: result.unshared }, 'share ended: connection deleted');
        // A pending invitation was never visible as a share; only confirmed ones get a notice.
        await this.announce(result, row.is_invite_confirmed || !result.home ? [remoteId] : []);
      } catch (err) {
        this.logger.error(
          { channel_id: row.channel_id, remote_id: remoteId, err: String(err) },
          'could not end share of deleted connection',
        );
      }
    }
  }

  /** A channel was archived here: on its home, the share ends everywhere and each remote archives its copy. */
  async channelArchived(channelId: string): Promise<void> {
    const result = await this.detach(channelId, (sc) => (sc.home ? { remotes: 'all', unshare: 'always' } : 'not the home of the channel'));
    if (typeof result === 'string') return;
    for (const remoteId of result.removed) void this.notifier.unshare(remoteId, channelId, true);
    this.logger.log({ channel_id: channelId, remotes: result.removed }, 'shared channel archived: share ended everywhere');
    await this.announce(result, result.removed);
  }

  /** What a peer may end: its own share of our channel (guest leaving), or the share of its channel here. */
  private peerPlan(sc: SharedChannel, sender: string, archive: boolean): Plan | string {
    if (sc.home) return { remotes: [sender], unshare: 'if-none-left', requireRemoved: 'channel is not shared with the sender' };
    if (sc.remote_id !== sender) return 'channel is not owned by the sender';
    return { remotes: 'all', unshare: 'always', archive };
  }

  /** Whether an ended share archives our copy (removal mode `archive`, Mattermost 10.10). */
  private archiving(): boolean {
    return this.config.sharedChannels.removalMode === 'archive';
  }

  /** How long an RPC waits for peers' answers: within the caller's bus timeout (`depth` RPCs deep). */
  private budget(depth = 1): number {
    return Math.max(500, this.config.bus.requestTimeoutMs - 2000 * depth);
  }

  private refuse(sender: string, channelId: string, reason: string): PeerResponse {
    this.logger.warn({ remote_id: sender, channel_id: channelId, reason }, 'unshare message refused');
    return { status: 'FAIL', err: reason };
  }

  /** The data change, in one transaction; a string when there was nothing to do (the reason). */
  private detach(channelId: string, plan: (sc: SharedChannel) => Plan | string): Promise<Detached | string> {
    return this.dataSource.transaction(async (tx) => {
      const sc = await tx.getRepository(SharedChannel).findOne({ where: { channel_id: channelId }, lock: { mode: 'pessimistic_write' } });
      if (!sc) return NOT_SHARED;
      const decided = plan(sc);
      if (typeof decided === 'string') return decided;
      const now = Date.now();
      const ending = tx
        .createQueryBuilder()
        .update(SharedChannelRemote)
        .set({ delete_at: now, update_at: now })
        .where('channel_id = :channelId AND delete_at = 0', { channelId });
      if (decided.remotes !== 'all') {
        if (decided.remotes.length === 0) return NOT_SHARED;
        ending.andWhere('remote_id IN (:...remotes)', { remotes: decided.remotes });
      }
      const ended = (await ending.returning(['remote_id', 'is_invite_confirmed']).execute()).raw as {
        remote_id: string;
        is_invite_confirmed: boolean;
      }[];
      const removed = ended.map((r) => r.remote_id);
      const confirmed = ended.filter((r) => r.is_invite_confirmed).map((r) => r.remote_id);
      if (decided.requireRemoved && removed.length === 0) return decided.requireRemoved;
      const live = await tx.getRepository(SharedChannelRemote).countBy({ channel_id: channelId, delete_at: 0 });
      const unshared = decided.unshare === 'always' || live === 0;
      if (unshared) {
        await tx.getRepository(SharedChannel).delete({ channel_id: channelId });
        await tx.getRepository(Channel).update({ id: channelId }, { shared: false, update_at: now });
      }
      let archived = false;
      // Only a copy: the home's channel is archived by its own users, never by a share ending. Direct and group
      // messages cannot be archived (as in Mattermost): they stay as they are.
      if (decided.archive && !sc.home) {
        const result = await tx
          .getRepository(Channel)
          .update({ id: channelId, delete_at: 0, type: In(['O', 'P']) }, { delete_at: now, update_at: now });
        archived = (result.affected ?? 0) > 0;
        // Lets a re-invite from the home restore this copy (and only while it is archived from now).
        if (archived) {
          await tx.query(
            `UPDATE shared_channel_invitations SET copy_archived_at = $1, update_at = $1
             WHERE channel_id = $2 AND remote_id = $3 AND status = 'accepted'`,
            [now, channelId, sc.remote_id],
          );
        }
      }
      return { channelId, home: sc.home, homeRemoteId: sc.remote_id, removed, confirmed, unshared, archived };
    });
  }

  /** After the commit: a notice per remote that left, then the unshare itself (event + Mattermost's message). */
  private async announce(result: Detached, noticeFor: string[]): Promise<void> {
    const { channelId } = result;
    const names = await this.displayNames(noticeFor);
    for (const remoteId of noticeFor) {
      const name = names.get(remoteId) ?? 'another workspace';
      await this.notice(channelId, noLongerSharedWith(name), stateProps('unshared', remoteId, name), SHARED_CHANNEL_STATE_POST);
    }
    if (!result.unshared && !result.archived) return;
    const channel = await this.dataSource.getRepository(Channel).findOneBy({ id: channelId });
    if (!channel) return;
    try {
      await this.events.toChannel(channelId, WsEvent.ChannelUpdated, { channel: JSON.stringify(toChannelJson(channel)) });
      if (result.archived) {
        const data = { channel_id: channelId, delete_at: channel.delete_at };
        if (channel.type === 'O') await this.events.toTeam(channel.team_id, WsEvent.ChannelDeleted, data);
        else await this.events.toChannel(channelId, WsEvent.ChannelDeleted, data);
      }
    } catch (err) {
      this.logger.error({ channel_id: channelId, err: String(err) }, 'could not announce the unshare');
    }
    if (result.unshared) await this.notice(channelId, UNSHARED, {}, SYSTEM_GENERIC_POST);
  }

  private async notice(channelId: string, message: string, props: Record<string, unknown>, type: string): Promise<void> {
    try {
      await this.posts.notice(channelId, message, props, type);
    } catch (err) {
      this.logger.error({ channel_id: channelId, err: String(err) }, 'could not post the sharing notice');
    }
  }

  private async displayNames(remoteIds: string[]): Promise<Map<string, string>> {
    if (remoteIds.length === 0) return new Map();
    const rows = await this.dataSource.getRepository(RemoteCluster).findBy({ remote_id: In(remoteIds) });
    return new Map(rows.map((rc) => [rc.remote_id, rc.display_name || rc.name]));
  }
}

export function notHomeError(): AppError {
  return AppError.badRequest(
    'api.command_share.uninvite_not_home.error',
    'Cannot uninvite a secure connection from a shared channel originating somewhere else; only its home can.',
  );
}
