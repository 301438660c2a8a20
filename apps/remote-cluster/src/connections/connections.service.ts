import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  APP_CONFIG,
  AppConfig,
  AppError,
  Bus,
  PeerAddressPolicy,
  peerAddressPolicy,
  PeerClient,
  PeerRequestError,
  PING_TIMEOUT_MS,
} from '@fedchat/common';
import {
  AcceptInviteRequest,
  ConnectionChangedEvent,
  ConnectionConfirmedEvent,
  ConnectionDeletedEvent,
  CreateConnectionReply,
  CreateConnectionRequest,
  ListConnectionsRequest,
  PatchConnectionRequest,
  PeerMessageReceived,
  PeerResponse,
  RemoteClusterJson,
  TellConnectionRemoval,
} from '@fedchat/contracts';
import {
  decryptInvite,
  encryptInvite,
  generateInvitePassword,
  hashToken,
  InviteCodecError,
  INVITE_EXPIRES_AFTER_MS,
  INVITE_PASSWORD_RULE,
  INVITE_VERSION,
  isStrongInvitePassword,
  isValidId,
  newId,
  RemoteClusterInvite,
} from '@fedchat/crypto';
import { isUniqueViolation, RemoteCluster, Team } from '@fedchat/models';
import { DataSource, Repository } from 'typeorm';
import { HeartbeatService } from '../heartbeat/heartbeat.service';
import { MessageSender } from '../peers/message-sender.service';
import { isConfirmed, toRemoteClusterJson } from './remote-cluster.mapper';

/**
 * Secure connections: creating invitations, accepting them (the handshake with the inviter), confirming them when
 * the peer accepts ours, and the rest of `/api/v4/remotecluster`. Token directions (protocol §3.3): `token_hash`
 * is what the peer must present to us; `remote_token` is what we present to the peer.
 */
@Injectable()
export class ConnectionsService {
  private readonly logger = new Logger(ConnectionsService.name);
  private readonly addressPolicy: PeerAddressPolicy;

  constructor(
    @InjectRepository(RemoteCluster) private readonly remotes: Repository<RemoteCluster>,
    @InjectRepository(Team) private readonly teams: Repository<Team>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly peers: PeerClient,
    private readonly heartbeat: HeartbeatService,
    private readonly bus: Bus,
    private readonly sender: MessageSender,
  ) {
    this.addressPolicy = peerAddressPolicy(config);
  }

  async create(req: CreateConnectionRequest): Promise<CreateConnectionReply> {
    const autoAccept = req.auto_accept_channel_invites ?? true;
    // Review mode needs no destination team: the admin picks one when accepting each channel.
    if (autoAccept || req.default_team_id !== '') await this.requireTeam(req.default_team_id);
    // An invitation carrying a site URL that every peer refuses (link-local, metadata) could never be confirmed.
    const ownProblem = new PeerAddressPolicy(true, this.config.siteUrl).siteUrlProblem(this.config.siteUrl);
    if (ownProblem) {
      throw AppError.badRequest(
        'api.remote_cluster.invalid_site_url',
        `This server's SITE_URL cannot be sent in an invitation: ${ownProblem}. Set SITE_URL to an address peers can reach.`,
      );
    }
    if (req.password !== '') requireStrongPassword(req.password);
    const generated = req.password === '' ? generateInvitePassword() : undefined;
    const password = generated ?? req.password;
    const inviteToken = newId();
    const rc = this.remotes.create({
      remote_id: newId(),
      name: req.name.toLowerCase(),
      display_name: req.display_name || req.name,
      site_url: `pending_${newId()}`,
      default_team_id: req.default_team_id,
      create_at: Date.now(),
      token_hash: hashToken(inviteToken),
      invite_token: inviteToken,
      creator_id: req.creator_id,
      auto_accept_channel_invites: autoAccept,
    });
    const invite = await this.inviteFor(rc, password);
    await this.insert(rc);
    this.logger.log({ remote_id: rc.remote_id, name: rc.name }, 'invitation created');
    return { remote_cluster: toRemoteClusterJson(rc), invite, ...(generated ? { password: generated } : {}) };
  }

  /** A new code for a still-pending connection, with the same token: earlier codes keep working. */
  async generateInvite(remoteId: string, password: string): Promise<string> {
    requireStrongPassword(password);
    const rc = await this.getRow(remoteId);
    if (rc.delete_at > 0) throw AppError.notFound('remote cluster', 'api.remote_cluster.get.not_found');
    if (isConfirmed(rc) || rc.invite_token === '') {
      throw AppError.badRequest('api.remote_cluster.generate_invite_cluster_is_confirmed', 'The secure connection is already confirmed.');
    }
    return this.inviteFor(rc, password);
  }

  /**
   * The acceptor's side of the handshake (protocol §3.3 steps 2–3, 5): save the connection with fresh tokens,
   * confirm to the inviter with the invite token, and forget the connection if the inviter does not say OK.
   */
  async acceptInvite(req: AcceptInviteRequest): Promise<RemoteClusterJson> {
    // The REST API requires a team; the slash command, typed outside a team, may leave it empty.
    if (req.default_team_id !== '') await this.requireTeam(req.default_team_id);
    let invite: RemoteClusterInvite;
    try {
      invite = await decryptInvite(req.invite, req.password);
    } catch (err) {
      if (err instanceof InviteCodecError) {
        const message =
          err.code === 'api.remote_cluster.base64_decode_error'
            ? 'Could not decode the invitation.'
            : 'Could not decrypt the invitation: wrong password or corrupted code.';
        throw AppError.badRequest(err.code, message);
      }
      throw err;
    }
    const urlProblem = await this.addressPolicy.checkSiteUrl(invite.site_url);
    if (urlProblem) {
      this.logger.warn({ remote_id: invite.remote_id, site_url: invite.site_url, err: urlProblem }, 'invitation refused: site URL');
      throw AppError.badRequest(
        'api.remote_cluster.invalid_site_url',
        `The invitation's site URL ${invite.site_url} is refused by this server: ${urlProblem}.`,
      );
    }
    const existing = await this.remotes.findOneBy({ remote_id: invite.remote_id });
    if (existing && existing.delete_at === 0) {
      throw new AppError('api.remote_cluster.save_not_unique.app_error', 'A secure connection with this id already exists.', 500);
    }
    const ourToken = newId();
    const refreshed = (invite.version ?? 0) >= 2 ? newId() : invite.token;
    const rc = this.remotes.create({
      remote_id: invite.remote_id,
      name: req.name.toLowerCase(),
      display_name: req.display_name || req.name,
      site_url: invite.site_url.replace(/\/+$/, ''),
      default_team_id: req.default_team_id,
      create_at: Date.now(),
      token_hash: hashToken(ourToken),
      remote_token: refreshed,
      creator_id: req.creator_id,
      auto_accept_channel_invites: req.auto_accept_channel_invites ?? true,
    });
    if (existing) await this.remotes.delete({ remote_id: existing.remote_id });
    await this.insert(rc);
    this.changed(rc.remote_id);
    try {
      const answer = await this.peers.postJson<{ status?: string }>({
        remoteId: rc.remote_id,
        siteUrl: rc.site_url,
        path: '/api/v4/remotecluster/confirm_invite',
        token: invite.token,
        timeoutMs: PING_TIMEOUT_MS,
        body: {
          remote_id: rc.remote_id,
          msg: {
            id: newId(),
            topic: 'invitation',
            create_at: Date.now(),
            payload: {
              remote_id: rc.remote_id,
              remote_team_id: '',
              site_url: this.config.siteUrl,
              token: ourToken,
              refreshed_token: refreshed,
              version: INVITE_VERSION,
            },
          },
        },
      });
      if (answer?.status !== 'OK') throw new Error(`inviter answered ${JSON.stringify(answer).slice(0, 200)}`);
    } catch (err) {
      await this.remotes.delete({ remote_id: rc.remote_id });
      this.changed(rc.remote_id);
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.warn({ remote_id: rc.remote_id, err: reason }, 'invitation confirmation failed; connection removed');
      // A site that never answered is named: the address is inside the code, and the administrator cannot see it.
      const message = isUnanswered(err) ? `the inviting site ${rc.site_url} did not answer (${reason}).` : reason;
      throw new AppError('api.remote_cluster.accept_invitation_error', `Could not accept the invitation: ${message}`, 500, reason);
    }
    this.logger.log({ remote_id: rc.remote_id, site_url: rc.site_url }, 'invitation accepted and confirmed');
    this.heartbeat.pingSoon(rc.remote_id);
    return toRemoteClusterJson(rc);
  }

  /**
   * The inviter's side (protocol §3.3 step 4). The gateway has authenticated the frame with the invite token.
   * A confirmation is accepted once: the conditional update makes a replay or a race find nothing to confirm.
   */
  async confirmInvite({ remote_id: remoteId, msg }: PeerMessageReceived): Promise<PeerResponse> {
    const payload = (msg.payload ?? {}) as Partial<RemoteClusterInvite>;
    const malformed =
      msg.topic !== 'invitation'
        ? `msg.topic must be "invitation"`
        : payload.remote_id !== remoteId
          ? 'msg.payload.remote_id must be the connection id'
          : typeof payload.token !== 'string' || payload.token === ''
            ? 'msg.payload.token is missing'
            : typeof payload.site_url !== 'string' || payload.site_url === ''
              ? 'msg.payload.site_url is missing'
              : undefined;
    if (malformed) throw AppError.badRequest('api.context.invalid_param.app_error', `Invalid invitation confirmation: ${malformed}.`);
    const siteUrl = payload.site_url!;
    const urlProblem = await this.addressPolicy.checkSiteUrl(siteUrl);
    if (urlProblem) {
      this.logger.warn({ remote_id: remoteId, site_url: siteUrl, err: urlProblem }, 'invitation confirmation refused: site URL');
      throw AppError.badRequest(
        'api.remote_cluster.invalid_site_url',
        `The inviting server refuses the accepting server's site URL ${siteUrl}: ${urlProblem}.`,
      );
    }
    const rc = await this.getRow(remoteId);
    if (isConfirmed(rc) || rc.invite_token === '') {
      throw new AppError('api.command_remote.confirm_invitation.error', 'The invitation was already confirmed.', 500);
    }
    if (Date.now() - rc.create_at > INVITE_EXPIRES_AFTER_MS) {
      throw AppError.badRequest('api.context.invitation_expired.error', 'The invitation has expired.');
    }
    const refreshed = (payload.version ?? 0) >= 2 ? payload.refreshed_token : undefined;
    if (refreshed !== undefined && (typeof refreshed !== 'string' || refreshed === '' || refreshed === rc.invite_token)) {
      throw AppError.badRequest('api.context.invalid_param.app_error', 'Invalid refreshed_token in msg.payload.');
    }
    let updated: number | undefined;
    try {
      const result = await this.remotes
        .createQueryBuilder()
        .update()
        .set({
          site_url: siteUrl.replace(/\/+$/, ''),
          remote_token: payload.token,
          // Legacy acceptors (version < 2) get a token nobody knows: Mattermost behaves the same.
          token_hash: hashToken(refreshed ?? newId()),
          invite_token: '',
        })
        .where('remote_id = :id AND delete_at = 0 AND invite_token <> :none AND site_url LIKE :pending', {
          id: remoteId,
          none: '',
          pending: 'pending\\_%',
        })
        .execute();
      updated = result.affected;
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError('api.command_remote.confirm_invitation.error', 'Another secure connection already uses this site URL.', 500);
      }
      throw err;
    }
    if (!updated) throw new AppError('api.command_remote.confirm_invitation.error', 'The invitation was already confirmed.', 500);
    this.changed(remoteId);
    this.logger.log({ remote_id: remoteId, site_url: siteUrl }, 'invitation confirmed by peer');
    this.heartbeat.pingSoon(remoteId);
    // Once, after the conditional update: channel invitations recorded while the connection was pending go out now
    // (the acceptor saved the connection before confirming, so it already takes them).
    this.bus.emit(ConnectionConfirmedEvent, { remote_id: remoteId });
    return { status: 'OK' };
  }

  async get(remoteId: string): Promise<RemoteClusterJson> {
    return toRemoteClusterJson(await this.getRow(remoteId));
  }

  async list(q: ListConnectionsRequest): Promise<RemoteClusterJson[]> {
    const qb = this.remotes.createQueryBuilder('rc');
    if (!q.include_deleted) qb.andWhere('rc.delete_at = 0');
    if (q.only_confirmed) qb.andWhere(`(rc.plugin_id <> '' OR (rc.site_url <> '' AND rc.site_url NOT LIKE 'pending\\_%'))`);
    if (q.exclude_offline) qb.andWhere('rc.last_ping_at > :since', { since: Date.now() - this.config.remoteCluster.offlineAfterMs });
    if (q.exclude_plugins) qb.andWhere(`rc.plugin_id = ''`);
    if (q.only_plugins) qb.andWhere(`rc.plugin_id <> ''`);
    if (q.creator_id) qb.andWhere('rc.creator_id = :creator', { creator: q.creator_id });
    if (q.topic) qb.andWhere(`(rc.topics = '*' OR rc.topics LIKE :topic)`, { topic: `% ${q.topic} %` });
    if (q.in_channel) {
      qb.andWhere(
        'EXISTS (SELECT 1 FROM shared_channel_remotes scr WHERE scr.remote_id = rc.remote_id AND scr.channel_id = :in AND scr.delete_at = 0)',
        { in: q.in_channel },
      );
    }
    if (q.not_in_channel) {
      qb.andWhere(
        'NOT EXISTS (SELECT 1 FROM shared_channel_remotes scr WHERE scr.remote_id = rc.remote_id AND scr.channel_id = :nin AND scr.delete_at = 0)',
        {
          nin: q.not_in_channel,
        },
      );
    }
    const perPage = Math.min(Math.max(q.per_page ?? 100, 1), 200);
    const rows = await qb
      .orderBy('rc.create_at', 'ASC')
      .skip((q.page ?? 0) * perPage)
      .take(perPage)
      .getMany();
    return rows.map(toRemoteClusterJson);
  }

  async patch(req: PatchConnectionRequest): Promise<RemoteClusterJson> {
    const rc = await this.getRow(req.remote_id);
    if (req.default_team_id !== undefined && req.default_team_id !== '') await this.requireTeam(req.default_team_id);
    const changes: Partial<RemoteCluster> = {};
    if (req.display_name !== undefined) changes.display_name = req.display_name;
    if (req.default_team_id !== undefined) changes.default_team_id = req.default_team_id;
    if (req.auto_accept_channel_invites !== undefined) changes.auto_accept_channel_invites = req.auto_accept_channel_invites;
    if (Object.keys(changes).length > 0) {
      await this.remotes.update({ remote_id: rc.remote_id }, changes);
      this.changed(rc.remote_id);
    }
    return toRemoteClusterJson({ ...rc, ...changes });
  }

  /**
   * Soft delete that severs trust at once: the tokens are wiped (the peer's next request gets 401) and the
   * connection leaves every shared channel, in one transaction. Before that, while the peer still trusts us, it is
   * told which shares end (the sharing lifecycle sends one `sharedchannel_unshare` per channel).
   */
  async delete(remoteId: string): Promise<void> {
    if (!isValidId(remoteId)) throw AppError.invalidParam('remote_id');
    const rc = await this.remotes.findOneBy({ remote_id: remoteId });
    const siteUrl = rc?.site_url;
    if (rc && rc.delete_at === 0 && isConfirmed(rc)) await this.tellPeerSharesEnd(remoteId);
    const now = Date.now();
    const deleted = await this.dataSource.transaction(async (tx) => {
      const result = await tx
        .getRepository(RemoteCluster)
        .update(
          { remote_id: remoteId, delete_at: 0 },
          { delete_at: now, token_hash: '', remote_token: '', invite_token: '', is_online: false },
        );
      if (!result.affected) return false;
      await tx.query('UPDATE shared_channel_remotes SET delete_at = $1, update_at = $1 WHERE remote_id = $2 AND delete_at = 0', [
        now,
        remoteId,
      ]);
      return true;
    });
    // As Mattermost, which looks the live connection up first: an unknown or already deleted one is a 404, not a failure.
    if (!deleted) throw AppError.notFound('remote cluster', 'api.remote_cluster.get.not_found');
    this.changed(remoteId);
    this.logger.log({ remote_id: remoteId }, 'connection deleted');
    // Kept-alive sockets to the peer go now (other replicas and apps close theirs when they have been idle).
    if (siteUrl) this.peers.closePeer(siteUrl);
    this.bus.emit(ConnectionDeletedEvent, { remote_id: remoteId });
  }

  /**
   * A connection row changed (committed): this process's sender forgets it at once, every other process when the
   * `all` event reaches it, so the next message to the peer, or the peer's next request, sees the change.
   */
  private changed(remoteId: string): void {
    this.sender.forgetConnection(remoteId);
    this.bus.emit(ConnectionChangedEvent, { remote_id: remoteId });
  }

  /** Best effort: a peer that is down, slow or refuses still loses the connection; it then learns nothing. */
  private async tellPeerSharesEnd(remoteId: string): Promise<void> {
    try {
      const { channels } = await this.bus.request(TellConnectionRemoval, { remote_id: remoteId });
      this.logger.log({ remote_id: remoteId, channels }, 'peer told its shared channels end with the connection');
    } catch (err) {
      this.logger.warn(
        { remote_id: remoteId, err: err instanceof Error ? err.message : String(err) },
        'could not tell the peer its shares end',
      );
    }
  }

  private async getRow(remoteId: string): Promise<RemoteCluster> {
    if (!isValidId(remoteId)) throw AppError.invalidParam('remote_id');
    const rc = await this.remotes.findOneBy({ remote_id: remoteId });
    if (!rc) throw AppError.notFound('remote cluster', 'api.remote_cluster.get.not_found');
    return rc;
  }

  private async requireTeam(teamId: string): Promise<void> {
    if (!isValidId(teamId) || !(await this.teams.existsBy({ id: teamId, delete_at: 0 }))) {
      throw AppError.badRequest('api.remote_cluster.invalid_team', 'Invalid or missing default_team_id.');
    }
  }

  private inviteFor(rc: RemoteCluster, password: string): Promise<string> {
    return encryptInvite(
      { remote_id: rc.remote_id, remote_team_id: '', site_url: this.config.siteUrl, token: rc.invite_token, version: INVITE_VERSION },
      password,
    );
  }

  private async insert(rc: RemoteCluster): Promise<void> {
    try {
      // A copy: TypeORM writes raw database defaults (bigints as strings) back into the object it inserts.
      await this.remotes.insert({ ...rc });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError('api.remote_cluster.save_not_unique.app_error', 'A secure connection with this site URL already exists.', 500);
      }
      throw err;
    }
  }
}

/**
 * Whether a request to a peer got no HTTP answer at all: nothing listens, the host is unknown or unreachable, the
 * connection dropped before an answer, or the deadline passed. An answer (any status, a malformed body) is not this.
 */
function isUnanswered(err: unknown): boolean {
  if (!(err instanceof PeerRequestError) || err.status !== undefined) return false;
  return (
    err.timeout ||
    /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)\b|before the peer answered/.test(err.message)
  );
}

/** Invitation passwords protect codes sent over other channels: weak ones are refused (never logged). */
function requireStrongPassword(password: string): void {
  if (!isStrongInvitePassword(password)) {
    throw AppError.badRequest('api.remote_cluster.invite_password.app_error', `The invitation password must have ${INVITE_PASSWORD_RULE}.`);
  }
}
