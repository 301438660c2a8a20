import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  directChannelName,
  groupChannelName,
  groupDisplayName,
  joinChannel,
  newChannelRow,
  RefusedItem,
  SyncUserSchema,
  SystemPosts,
  toChannelJson,
  upsertRemoteUser,
  WebSocketEvents,
  WsEvent,
} from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError, remoteClusterServiceEnabled } from '@fedchat/common';
import {
  DecideInvitationRequest,
  InvitationListReply,
  ListInvitationsRequest,
  PeerMessageReceived,
  PeerResponse,
  SharedChannelInvitationJson,
} from '@fedchat/contracts';
import { isValidId, newId } from '@fedchat/crypto';
import {
  Channel,
  isUniqueViolation,
  RemoteCluster,
  SharedChannel,
  SharedChannelInvitation,
  Team,
  User,
  type InvitationStatus,
} from '@fedchat/models';
import { DataSource, EntityManager, In } from 'typeorm';
import { ChannelInvite, parseInvitePayload } from './invite-payload';
import { InvitationReviewPosts } from './invitation-review-posts.service';
import { PeerNotifier } from './peer-notifier.service';
import { Participant, personalInviteMembersProblem, personalInviteShapeProblem } from './personal-invite';
import { toInvitationJson } from './sharing.mapper';
import { invitesTotal } from './sharing.metrics';
import { CHANNEL_EXISTS, INVITE_PENDING_REVIEW, sharedWith, stateProps } from './sharing.texts';

/**
 * Where an accepted invitation lands: a new channel in a team, a new direct or group channel (no team), or the
 * channel it had here before (re-invite).
 */
type Target = { teamId: string } | { personal: true } | { existing: Channel };

/**
 * The guest side of channel invitations (protocol §4.1), hardened: the payload is validated field by field, an
 * invitation never takes over a channel that exists here for another reason (`channel already exists`), and a
 * connection in review mode (`auto_accept_channel_invites = false`) keeps invitations until an admin accepts one
 * into a team or declines it.
 *
 * Accepting creates the channel with the same id, its share record (home = false, owned by the sender) and the
 * share with the sender (confirmed, cursors at "now") in one transaction. Every accepted invitation is recorded
 * (status `accepted`): when the home re-invites after uninviting us, the channel it created here before is reused.
 */
@Injectable()
export class ChannelInviteReceiver {
  private readonly logger = new Logger('SharingInviteReceiver');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly posts: SystemPosts,
    private readonly events: WebSocketEvents,
    private readonly notifier: PeerNotifier,
    private readonly reviewPosts: InvitationReviewPosts,
  ) {}

  /** `sharedchannel_invite` from a peer. Always an answer: FAIL carries the reason. */
  async receive({ remote_id: sender, msg }: PeerMessageReceived): Promise<PeerResponse> {
    if (!remoteClusterServiceEnabled(this.config) || !this.config.connectedWorkspaces.enableSharedChannels) {
      return this.refuse(sender, '', 'shared channels are not enabled');
    }
    const parsed = parseInvitePayload(msg.payload);
    if (!parsed.ok) return this.refuse(sender, '', parsed.err);
    const invite = parsed.invite;
    try {
      return await this.handle(sender, invite);
    } catch (err) {
      if (err instanceof AppError) return this.refuse(sender, invite.channel_id, err.message);
      this.logger.error({ remote_id: sender, channel_id: invite.channel_id, err: String(err) }, 'channel invitation failed');
      return this.refuse(sender, invite.channel_id, 'the invitation could not be processed');
    }
  }

  /** RPC ListInvitations. */
  async list(req: ListInvitationsRequest): Promise<InvitationListReply> {
    const rows = await this.dataSource.getRepository(SharedChannelInvitation).find({
      where: req.status ? { status: req.status as InvitationStatus } : {},
      order: { create_at: 'ASC', id: 'ASC' },
    });
    return { invitations: rows.map(toInvitationJson) };
  }

  /** RPC DecideInvitation: accept into `team_id`, or decline (no team). Only pending invitations can be decided. */
  async decide(req: DecideInvitationRequest): Promise<SharedChannelInvitationJson> {
    if (!isValidId(req.invitation_id)) throw AppError.invalidParam('invitation_id');
    const invitations = this.dataSource.getRepository(SharedChannelInvitation);
    const inv = await invitations.findOneBy({ id: req.invitation_id });
    if (!inv) throw AppError.notFound('shared channel invitation', 'app.shared_channel.invitation.get.app_error');
    if (inv.status !== 'pending') throw notPendingError(inv.status);

    if (req.team_id === undefined || req.team_id === '') {
      const result = await invitations.update(
        { id: inv.id, status: 'pending' },
        { status: 'rejected', decided_by: req.actor_id, update_at: Date.now() },
      );
      if (!result.affected) throw notPendingError('already decided');
      // The home stops asking: it treats this like a guest leaving (its share with us ends).
      await this.notifier.unshareAndWait([inv.remote_id], inv.channel_id, Math.max(500, this.config.bus.requestTimeoutMs - 2000));
      invitesTotal.inc({ result: 'declined' });
      this.logger.log(
        { invitation_id: inv.id, channel_id: inv.channel_id, remote_id: inv.remote_id, actor_id: req.actor_id },
        'invitation declined',
      );
      await this.reviewPosts.showOutcome(inv.id);
      return toInvitationJson(await invitations.findOneByOrFail({ id: inv.id }));
    }

    if (!isValidId(req.team_id) || !(await this.dataSource.getRepository(Team).existsBy({ id: req.team_id, delete_at: 0 }))) {
      throw AppError.badRequest('api.shared_channel.invitation.invalid_team.app_error', 'Invalid or missing team_id: no such team.');
    }
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: inv.remote_id, delete_at: 0 });
    if (!rc) {
      throw AppError.badRequest(
        'api.shared_channel.invitation.remote_gone.app_error',
        'The secure connection of this invitation no longer exists.',
      );
    }
    const parsed = parseInvitePayload(inv.invite);
    if (!parsed.ok)
      throw AppError.badRequest('api.shared_channel.invitation.invalid.app_error', `The stored invitation is invalid: ${parsed.err}.`);
    const invite = parsed.invite;
    let target: Target = { teamId: req.team_id };
    const existing = await this.dataSource.getRepository(Channel).findOneBy({ id: invite.channel_id });
    if (existing) {
      const refusal = await this.reuseRefusal(existing, rc.remote_id, false);
      if (refusal) {
        throw AppError.badRequest(
          'api.shared_channel.invitation.channel_exists.app_error',
          'A channel with the id of this invitation already exists here.',
        );
      }
      target = { existing };
    }
    try {
      await this.accept(rc, invite, target, req.actor_id, inv.id);
    } catch (err) {
      if (err instanceof AppError)
        await invitations.update({ id: inv.id, status: 'pending' }, { error: err.message, update_at: Date.now() });
      throw err;
    }
    return toInvitationJson(await invitations.findOneByOrFail({ id: inv.id }));
  }

  private async handle(sender: string, invite: ChannelInvite): Promise<PeerResponse> {
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: sender, delete_at: 0 });
    if (!rc) return this.refuse(sender, invite.channel_id, 'unknown remote');
    const scr: { delete_at: string }[] = await this.dataSource.query(
      'SELECT delete_at FROM shared_channel_remotes WHERE channel_id = $1 AND remote_id = $2',
      [invite.channel_id, sender],
    );
    if (scr.length > 0 && Number(scr[0].delete_at) === 0) {
      this.logger.log({ remote_id: sender, channel_id: invite.channel_id }, 'channel invitation repeated; already shared');
      return { status: 'OK' };
    }
    const personal = invite.type === 'D' || invite.type === 'G';
    if (personal && !this.config.featureFlags.enableSharedChannelsDMs) {
      return this.refuse(
        sender,
        invite.channel_id,
        'direct and group messages with remote users are disabled here (EnableSharedChannelsDMs)',
      );
    }
    const existing = await this.dataSource.getRepository(Channel).findOneBy({ id: invite.channel_id });
    if (existing) {
      const refusal = await this.reuseRefusal(existing, sender, scr.length > 0);
      if (refusal) return this.refuse(sender, invite.channel_id, refusal);
      await this.accept(rc, invite, { existing }, '');
      return { status: 'OK' };
    }
    if (personal) {
      // Between users, not an admin decision: no review mode for direct and group messages.
      const problem = personalInviteShapeProblem(invite);
      if (problem) return this.refuse(sender, invite.channel_id, problem);
      await this.accept(rc, invite, { personal: true }, '');
      return { status: 'OK' };
    }
    if (!rc.auto_accept_channel_invites) {
      if (!(await this.holdForReview(rc, invite))) {
        // Accepted while this retry was on its way (the checks above ran before that decision committed).
        const shared: unknown[] = await this.dataSource.query(
          'SELECT 1 FROM shared_channel_remotes WHERE channel_id = $1 AND remote_id = $2 AND delete_at = 0',
          [invite.channel_id, sender],
        );
        if (shared.length > 0) return { status: 'OK' };
        return this.refuse(sender, invite.channel_id, 'the invitation was accepted here, but the channel is gone');
      }
      invitesTotal.inc({ result: 'review' });
      return { status: 'FAIL', err: INVITE_PENDING_REVIEW };
    }
    const teamId = await this.teamFor(rc);
    if (!teamId) return this.refuse(sender, invite.channel_id, 'no team to create the shared channel in');
    await this.accept(rc, invite, { teamId }, '');
    return { status: 'OK' };
  }

  /**
   * Why a channel that exists here may not take this invitation (undefined: it may). Only a channel this sender
   * shared with us before qualifies: its share ended (a deleted share row), or an accepted invitation is on record,
   * and no other share of it exists now. An archived copy qualifies only if the end of that share archived it
   * (removal mode `archive`); the re-invite then restores it.
   */
  private async reuseRefusal(channel: Channel, sender: string, hadShare: boolean): Promise<string | undefined> {
    const sc = await this.dataSource.getRepository(SharedChannel).findOneBy({ channel_id: channel.id });
    if (sc && (sc.home || sc.remote_id !== sender)) return CHANNEL_EXISTS;
    if (!hadShare) {
      const before = await this.dataSource
        .getRepository(SharedChannelInvitation)
        .existsBy({ channel_id: channel.id, remote_id: sender, status: 'accepted' });
      if (!before) return CHANNEL_EXISTS;
    }
    if (channel.delete_at > 0 && !(await this.archivedByShareEnd(this.dataSource.manager, channel, sender))) return 'channel is archived';
    return undefined;
  }

  /** Whether the copy is archived since its share with `sender` ended (and not since, say, a local admin archived it). */
  private async archivedByShareEnd(db: EntityManager, channel: Pick<Channel, 'id' | 'delete_at'>, sender: string): Promise<boolean> {
    if (channel.delete_at === 0) return false;
    return db
      .getRepository(SharedChannelInvitation)
      .existsBy({ channel_id: channel.id, remote_id: sender, status: 'accepted', copy_archived_at: channel.delete_at });
  }

  /** The connection's default team, else the first team of the server. */
  private async teamFor(rc: RemoteCluster): Promise<string | undefined> {
    const teams = this.dataSource.getRepository(Team);
    if (rc.default_team_id && (await teams.existsBy({ id: rc.default_team_id, delete_at: 0 }))) return rc.default_team_id;
    const first = await teams.findOne({ where: { delete_at: 0 }, order: { create_at: 'ASC', id: 'ASC' } });
    return first?.id;
  }

  /** Creates (or takes back) the shared channel, in one transaction, then announces it. */
  private async accept(rc: RemoteCluster, invite: ChannelInvite, target: Target, decidedBy: string, invitationId?: string): Promise<void> {
    const now = Date.now();
    const created = await this.dataSource.transaction(async (tx) => {
      if (invitationId) {
        const [row]: { status: string }[] = await tx.query('SELECT status FROM shared_channel_invitations WHERE id = $1 FOR UPDATE', [
          invitationId,
        ]);
        if (row?.status !== 'pending') throw notPendingError(row?.status ?? 'gone');
      }
      const channel =
        'existing' in target
          ? await this.takeBack(tx, target.existing.id, rc.remote_id, now)
          : 'personal' in target
            ? await this.createPersonal(tx, rc, invite, now)
            : await this.create(tx, rc, invite, target.teamId, now);
      await this.recordShare(tx, rc, invite, channel, now);
      await this.recordAccepted(tx, rc.remote_id, invite, channel.team_id, decidedBy, now);
      return { channel, isNew: !('existing' in target), restored: 'existing' in target && target.existing.delete_at > 0 };
    });
    const { channel } = created;
    invitesTotal.inc({ result: 'accepted' });
    this.logger.log(
      {
        channel_id: channel.id,
        remote_id: rc.remote_id,
        team_id: channel.team_id,
        readonly: invite.read_only,
        reused: !created.isNew,
        restored: created.restored,
      },
      'channel invitation accepted',
    );
    try {
      const ids = invite.direct_participant_ids;
      if (created.isNew && channel.type === 'D') {
        const teammate = ids.find((id) => id !== channel.creator_id) ?? ids[0];
        await this.events.toChannel(channel.id, WsEvent.DirectAdded, { creator_id: channel.creator_id, teammate_id: teammate });
      } else if (created.isNew && channel.type === 'G') {
        await this.events.toChannel(channel.id, WsEvent.GroupAdded, { teammate_ids: JSON.stringify(ids) });
      } else if (created.isNew) {
        const data = { channel_id: channel.id, team_id: channel.team_id };
        if (channel.type === 'O') await this.events.toTeam(channel.team_id, WsEvent.ChannelCreated, data);
        else await this.events.toChannel(channel.id, WsEvent.ChannelCreated, data);
      } else {
        if (created.restored) {
          const data = { channel_id: channel.id, team_id: channel.team_id };
          if (channel.type === 'O') await this.events.toTeam(channel.team_id, WsEvent.ChannelRestored, data);
          else await this.events.toChannel(channel.id, WsEvent.ChannelRestored, data);
        }
        const fresh = await this.dataSource.getRepository(Channel).findOneByOrFail({ id: channel.id });
        await this.events.toChannel(channel.id, WsEvent.ChannelUpdated, { channel: JSON.stringify(toChannelJson(fresh)) });
      }
      // A direct or group message is the members' conversation: no notice about the connection it travels through.
      if (channel.type !== 'D' && channel.type !== 'G') {
        const name = rc.display_name || rc.name;
        await this.posts.notice(channel.id, sharedWith(name), stateProps('shared', rc.remote_id, name));
      }
    } catch (err) {
      this.logger.error({ channel_id: channel.id, err: String(err) }, 'could not announce the shared channel');
    }
    // Whoever accepted (an admin, or the connection once it auto-accepts), the review posts show it.
    await this.reviewPosts.showOutcomeOf(channel.id, rc.remote_id);
  }

  private async create(tx: EntityManager, rc: RemoteCluster, invite: ChannelInvite, teamId: string, now: number): Promise<Channel> {
    const channel: Channel = {
      ...newChannelRow(
        {
          team_id: teamId,
          type: invite.type,
          display_name: invite.display_name,
          name: invite.name,
          header: invite.header,
          purpose: invite.purpose,
          creator_id: rc.creator_id,
        },
        now,
      ),
      // Channel ids are global: the copy keeps the home's id.
      id: invite.channel_id,
      shared: true,
    };
    try {
      await tx.getRepository(Channel).insert({ ...channel });
    } catch (err) {
      if (isUniqueViolation(err, 'uq_channels_team_name')) {
        throw AppError.badRequest(
          'api.shared_channel.invitation.name_exists.app_error',
          `channel name "${invite.name}" is already used in the team; choose another team`,
        );
      }
      if (isUniqueViolation(err, 'pk_channels'))
        throw AppError.badRequest('api.shared_channel.invitation.channel_exists.app_error', CHANNEL_EXISTS);
      throw err;
    }
    if (rc.creator_id && (await tx.getRepository(User).existsBy({ id: rc.creator_id, delete_at: 0 }))) {
      await joinChannel(tx, channel.id, rc.creator_id, { admin: true, now });
    }
    return channel;
  }

  /**
   * The direct or group channel of an invitation, with the home's id (protocol §4.1 step 3): participants the sender
   * owns are created or updated from `direct_participants`, local participants must exist and be active, and no
   * channel of the same members may exist here under another id. Refusals are AppErrors (the transaction rolls back).
   */
  private async createPersonal(tx: EntityManager, rc: RemoteCluster, invite: ChannelInvite, now: number): Promise<Channel> {
    const type = invite.type as 'D' | 'G';
    const refuse = (reason: string) => AppError.badRequest('api.shared_channel.invitation.direct.app_error', reason);
    const ids = invite.direct_participant_ids;
    const sent = new Map<string, ReturnType<typeof SyncUserSchema.parse>>();
    for (const raw of invite.direct_participants) {
      const parsed = SyncUserSchema.safeParse(raw);
      if (!parsed.success) throw refuse('direct_participants holds an invalid user');
      if (!ids.includes(parsed.data.id)) throw refuse('direct_participants holds a user who is not a participant');
      sent.set(parsed.data.id, parsed.data);
    }
    const known = new Map((await tx.getRepository(User).findBy({ id: In(ids) })).map((u) => [u.id, u]));
    const users: User[] = [];
    for (const id of ids) {
      const user = known.get(id);
      const incoming = sent.get(id);
      // Local users and users of other connections are never changed by this sender; the rules below judge them.
      if ((user && user.remote_id !== rc.remote_id) || !incoming) {
        if (!user) throw refuse(`unknown participant ${id}`);
        users.push(user);
        continue;
      }
      try {
        users.push((await upsertRemoteUser(tx, rc, incoming)).user);
      } catch (err) {
        if (err instanceof RefusedItem) throw refuse(`participant ${id}: ${err.message}`);
        throw err;
      }
    }
    const problem = personalInviteMembersProblem(type, rc.remote_id, users as Participant[]);
    if (problem) throw refuse(problem);

    const name = type === 'D' ? directChannelName(ids[0], ids[1]) : groupChannelName(ids);
    if (await tx.getRepository(Channel).existsBy({ team_id: '', name })) {
      throw refuse('a channel of these participants exists here with another id');
    }
    const displayName = type === 'G' ? groupDisplayName(users.map((u) => u.username)) : '';
    const channel: Channel = {
      ...newChannelRow({ team_id: '', type, display_name: displayName, name, creator_id: invite.creator_id }, now),
      // Channel ids are global: the copy keeps the home's id.
      id: invite.channel_id,
      shared: true,
    };
    try {
      await tx.getRepository(Channel).insert({ ...channel });
    } catch (err) {
      if (isUniqueViolation(err)) throw refuse(CHANNEL_EXISTS);
      throw err;
    }
    for (const user of users) await joinChannel(tx, channel.id, user.id, { admin: false, now });
    return channel;
  }

  /** The channel this sender shared with us before, shared again; restored if the end of that share archived it. */
  private async takeBack(tx: EntityManager, channelId: string, sender: string, now: number): Promise<Channel> {
    const channel = await tx.getRepository(Channel).findOne({ where: { id: channelId }, lock: { mode: 'pessimistic_write' } });
    if (!channel || (channel.delete_at > 0 && !(await this.archivedByShareEnd(tx, channel, sender))))
      throw AppError.badRequest('api.shared_channel.invitation.channel_archived.app_error', 'channel is archived');
    await tx.getRepository(Channel).update({ id: channelId }, { shared: true, delete_at: 0, update_at: now });
    return { ...channel, shared: true, delete_at: 0, update_at: now };
  }

  /** The share record (owned by the sender) and the share with the sender: confirmed, cursors at "now". */
  private async recordShare(tx: EntityManager, rc: RemoteCluster, invite: ChannelInvite, channel: Channel, now: number): Promise<void> {
    const shares = tx.getRepository(SharedChannel);
    const sc = await shares.findOne({ where: { channel_id: channel.id }, lock: { mode: 'pessimistic_write' } });
    const fields = {
      readonly: invite.read_only,
      share_name: invite.name || channel.name,
      share_display_name: invite.display_name,
      share_purpose: invite.purpose,
      share_header: invite.header,
      update_at: now,
    };
    if (sc) {
      if (sc.home || sc.remote_id !== rc.remote_id)
        throw AppError.badRequest('api.shared_channel.invitation.channel_exists.app_error', CHANNEL_EXISTS);
      await shares.update({ channel_id: channel.id }, fields);
    } else {
      await shares.insert({
        channel_id: channel.id,
        team_id: channel.team_id,
        home: false,
        creator_id: rc.creator_id,
        create_at: now,
        remote_id: rc.remote_id,
        ...fields,
      });
    }
    await tx.query(
      `INSERT INTO shared_channel_remotes (id, channel_id, creator_id, create_at, update_at, delete_at, is_invite_accepted,
         is_invite_confirmed, remote_id, last_post_update_at, last_post_id, last_post_create_at, last_post_create_id, readonly)
       VALUES ($1, $2, $3, $4, $4, 0, true, true, $5, $4, '', $4, '', $6)
       ON CONFLICT (channel_id, remote_id) DO UPDATE SET
         creator_id = EXCLUDED.creator_id, update_at = EXCLUDED.update_at, delete_at = 0, is_invite_accepted = true,
         is_invite_confirmed = true, last_post_update_at = EXCLUDED.last_post_update_at, last_post_id = '',
         last_post_create_at = EXCLUDED.last_post_create_at, last_post_create_id = '', last_members_sync_at = 0,
         last_members_sync_seq = 0, readonly = EXCLUDED.readonly, next_sync_at = 0, lease_owner = '', lease_until = 0, failures = 0, last_error = '',
         interrupted_since = 0, interruption_notified = false`,
      [newId(), channel.id, rc.creator_id, now, rc.remote_id, invite.read_only],
    );
  }

  private async recordAccepted(
    tx: EntityManager,
    remoteId: string,
    invite: ChannelInvite,
    teamId: string,
    decidedBy: string,
    now: number,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO shared_channel_invitations (id, channel_id, remote_id, status, error, team_id, decided_by, invite, create_at, update_at)
       VALUES ($1, $2, $3, 'accepted', '', $4, $5, $6::jsonb, $7, $7)
       ON CONFLICT (channel_id, remote_id) DO UPDATE SET status = 'accepted', error = '', team_id = EXCLUDED.team_id,
         decided_by = EXCLUDED.decided_by, invite = EXCLUDED.invite, update_at = EXCLUDED.update_at, copy_archived_at = 0`,
      [newId(), invite.channel_id, remoteId, teamId, decidedBy, JSON.stringify(invite), now],
    );
  }

  /**
   * Keeps the invitation for an admin. A new (or newly pending again) invitation is announced to those allowed to
   * decide (the system bot's review post); the home's retries of a pending one only refresh it. An accepted one is
   * left as it is (false): a retry that passed the checks in `handle` just before an admin's acceptance committed
   * must not make it pending again.
   */
  private async holdForReview(rc: RemoteCluster, invite: ChannelInvite): Promise<boolean> {
    const now = Date.now();
    const [row]: { id: string; previous: string | null }[] = await this.dataSource.query(
      `WITH previous AS (SELECT status FROM shared_channel_invitations WHERE channel_id = $2 AND remote_id = $3)
       INSERT INTO shared_channel_invitations (id, channel_id, remote_id, status, error, team_id, decided_by, invite, create_at, update_at)
       VALUES ($1, $2, $3, 'pending', '', '', '', $4::jsonb, $5, $5)
       ON CONFLICT (channel_id, remote_id) DO UPDATE SET
         status = 'pending', invite = EXCLUDED.invite, update_at = EXCLUDED.update_at,
         error = CASE WHEN shared_channel_invitations.status = 'pending' THEN shared_channel_invitations.error ELSE '' END,
         team_id = CASE WHEN shared_channel_invitations.status = 'pending' THEN shared_channel_invitations.team_id ELSE '' END,
         decided_by = CASE WHEN shared_channel_invitations.status = 'pending' THEN shared_channel_invitations.decided_by ELSE '' END
       WHERE shared_channel_invitations.status <> 'accepted'
       RETURNING id, (SELECT status FROM previous) AS previous`,
      [newId(), invite.channel_id, rc.remote_id, JSON.stringify(invite), now],
    );
    if (!row) return false;
    if (row.previous === 'pending') return true;
    this.logger.log(
      { invitation_id: row.id, channel_id: invite.channel_id, remote_id: rc.remote_id },
      'channel invitation held for review',
    );
    await this.reviewPosts.announce(row.id);
    return true;
  }

  private refuse(sender: string, channelId: string, reason: string): PeerResponse {
    invitesTotal.inc({ result: 'refused' });
    this.logger.warn({ remote_id: sender, channel_id: channelId, reason }, 'channel invitation refused');
    return { status: 'FAIL', err: reason };
  }
}

function notPendingError(status: string): AppError {
  return AppError.badRequest('api.shared_channel.invitation.not_pending.app_error', `The invitation is not pending (${status}).`);
}
