import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Permission, RoleCatalogue } from '@fedchat/chat';
import { AppError, Bus } from '@fedchat/common';
import { CreateConnectionReply, DeleteConnection, InviteRemote } from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import { Channel, SharedChannel, User } from '@fedchat/models';
import { In, Repository } from 'typeorm';

/** Most channels one request may share with a connection it creates (more: invite them afterwards). */
export const MAX_SHARES_ON_CREATE = 20;

/**
 * Channels shared with a connection right when it is created (our extension of `POST /remotecluster` and
 * `/secure-connection create --share`). The connection is still pending then, so each invitation is recorded and sent
 * when the peer accepts (the shared-channel-sync app does that). Everything that can be checked is checked before the
 * connection exists; if an invitation is still refused, the new connection is deleted again, so that the request
 * either does everything or leaves nothing behind.
 */
@Injectable()
export class SharesOnCreate {
  private readonly logger = new Logger('SharesOnCreate');

  constructor(
    private readonly bus: Bus,
    private readonly catalogue: RoleCatalogue,
    @InjectRepository(Channel) private readonly channels: Repository<Channel>,
    @InjectRepository(SharedChannel) private readonly shares: Repository<SharedChannel>,
  ) {}

  /**
   * The channels `refs` names, checked: each an id (or, with `teamId`, a channel name in that team), at most
   * MAX_SHARES_ON_CREATE, a live team channel (not DM/GM) that is not shared from another workspace, in a team where
   * the user has manage_shared_channels. `field` names the input in errors.
   */
  async resolve(user: User, refs: string[], field: string, teamId?: string): Promise<Channel[]> {
    const wanted = [...new Set(refs.map((r) => r.trim()).filter((r) => r !== ''))];
    if (wanted.length > MAX_SHARES_ON_CREATE) {
      throw AppError.badRequest(
        'api.remote_cluster.share_channels.too_many',
        `At most ${MAX_SHARES_ON_CREATE} channels can be shared here.`,
      );
    }
    const found: Channel[] = [];
    for (const ref of wanted) {
      const channel = await this.find(ref, teamId);
      if (!channel) {
        if (teamId === undefined && !isValidId(ref)) throw AppError.invalidParam(field);
        throw AppError.badRequest(
          'api.command_share.invalid_channel.error',
          `Invalid channel \`${ref}\`: it does not exist or is archived.`,
        );
      }
      if (channel.type === 'D' || channel.type === 'G') {
        throw AppError.badRequest(
          'api.command_share.channel_invite_dm.error',
          `Direct and group messages cannot be shared by invitation (\`${ref}\`).`,
        );
      }
      if (!(await this.catalogue.hasTeamPermission(user, channel.team_id, Permission.ManageSharedChannels))) {
        throw AppError.forbidden(Permission.ManageSharedChannels);
      }
      if (!found.some((c) => c.id === channel.id)) found.push(channel);
    }
    const foreign = found.length === 0 ? [] : await this.shares.findBy({ channel_id: In(found.map((c) => c.id)), home: false });
    if (foreign.length > 0) {
      throw AppError.badRequest(
        'api.command_share.channel_invite_not_home.error',
        `Cannot share channel ${foreign[0].channel_id}: it originates in another workspace.`,
      );
    }
    return found;
  }

  /** Records an invitation of each channel for the new (pending) connection; on a refusal the connection goes again. */
  async share(user: User, created: CreateConnectionReply, channels: Channel[]): Promise<void> {
    const remoteId = created.remote_cluster.remote_id;
    try {
      for (const channel of channels) {
        await this.bus.request(InviteRemote, { actor_id: user.id, remote_id: remoteId, channel_id: channel.id, readonly: false });
      }
    } catch (err) {
      this.logger.warn({ remote_id: remoteId, err: String(err) }, 'channel refused while creating the connection; connection deleted');
      await this.bus.request(DeleteConnection, { remote_id: remoteId }).catch(() => undefined);
      throw err;
    }
    if (channels.length > 0) this.logger.log({ remote_id: remoteId, channel_ids: channels.map((c) => c.id) }, 'channels shared on create');
  }

  private async find(ref: string, teamId: string | undefined): Promise<Channel | null> {
    const live = (c: Channel | null) => (c && c.delete_at === 0 ? c : null);
    if (isValidId(ref)) {
      const byId = live(await this.channels.findOneBy({ id: ref }));
      if (byId) return byId;
    }
    if (teamId === undefined) return null;
    return live(await this.channels.findOneBy({ team_id: teamId, name: ref.replace(/^~/, '').toLowerCase() }));
  }
}
