import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError } from '@fedchat/common';
import {
  ChannelRequest,
  ChannelShareStatusReply,
  ChannelRemotesRequest,
  ListChannelSharesRequest,
  ListSharedChannelsRequest,
  RemoteClusterInfoJson,
  RemoteInfoListReply,
  RemoteInfoRequest,
  SharedChannelListReply,
  SharedChannelRemoteListReply,
} from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import { Channel, RemoteCluster, SharedChannel, SharedChannelRemote } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { isConfirmedRemote, isExpiredPendingRemote } from './channel-invite-sender.service';
import { toRemoteInfoJson, toSharedChannelJson, toSharedChannelRemoteJson } from './sharing.mapper';

const MAX_PER_PAGE = 200;

function paging(page: number, perPage: number): { skip: number; take: number } {
  const take = Math.min(Math.max(Math.trunc(perPage) || 0, 1), MAX_PER_PAGE);
  return { skip: Math.max(Math.trunc(page) || 0, 0) * take, take };
}

function remoteNotFound(): AppError {
  return AppError.notFound('remote cluster', 'api.remote_cluster.get.not_found');
}

/** What the sharing lifecycle answers about shares: lists for the REST API and the slash command's status. */
@Injectable()
export class SharingQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A team's shared channels; with `member_id`, only those that user is a member of. */
  async sharedChannels(req: ListSharedChannelsRequest): Promise<SharedChannelListReply> {
    if (!isValidId(req.team_id)) throw AppError.invalidParam('team_id');
    const { skip, take } = paging(req.page, req.per_page);
    const qb = this.dataSource.getRepository(SharedChannel).createQueryBuilder('sc').where('sc.team_id = :team', { team: req.team_id });
    if (req.member_id !== undefined) {
      qb.andWhere('EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = sc.channel_id AND cm.user_id = :member)', {
        member: req.member_id,
      });
    }
    const rows = await qb.orderBy('sc.create_at', 'ASC').addOrderBy('sc.channel_id', 'ASC').skip(skip).take(take).getMany();
    return { channels: rows.map(toSharedChannelJson) };
  }

  /** The connections a channel is shared with now (their non-admin view). */
  async channelRemotes(req: ChannelRemotesRequest): Promise<RemoteInfoListReply> {
    if (!isValidId(req.channel_id)) throw AppError.invalidParam('channel_id');
    if (!(await this.dataSource.getRepository(Channel).existsBy({ id: req.channel_id }))) throw AppError.notFound('channel');
    const rows = await this.dataSource
      .getRepository(RemoteCluster)
      .createQueryBuilder('rc')
      .innerJoin(SharedChannelRemote, 'scr', 'scr.remote_id = rc.remote_id')
      .where('scr.channel_id = :channel AND scr.delete_at = 0', { channel: req.channel_id })
      .orderBy('scr.create_at', 'ASC')
      .addOrderBy('rc.remote_id', 'ASC')
      .getMany();
    return { remotes: rows.map(toRemoteInfoJson) };
  }

  /**
   * One connection's non-admin view. With `member_id`, only for a member of a channel shared with it (404 otherwise,
   * so that nobody learns which connections exist); deleted connections only with `include_deleted`.
   */
  async remoteInfo(req: RemoteInfoRequest): Promise<RemoteClusterInfoJson> {
    if (!isValidId(req.remote_id)) throw AppError.invalidParam('remote_id');
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: req.remote_id });
    if (!rc || (rc.delete_at > 0 && !req.include_deleted)) throw remoteNotFound();
    if (req.member_id !== undefined) {
      const [row]: { ok: number }[] = await this.dataSource.query(
        `SELECT 1 AS ok FROM shared_channel_remotes scr
         JOIN channel_members cm ON cm.channel_id = scr.channel_id AND cm.user_id = $2
         WHERE scr.remote_id = $1 ${req.include_deleted ? '' : 'AND scr.delete_at = 0'} LIMIT 1`,
        [rc.remote_id, req.member_id],
      );
      if (!row) throw remoteNotFound();
    }
    return toRemoteInfoJson(rc);
  }

  /** A connection's shares with the filters of `GET /remotecluster/{id}/sharedchannelremotes` (protocol §3.4). */
  async channelShares(req: ListChannelSharesRequest): Promise<SharedChannelRemoteListReply> {
    if (!isValidId(req.remote_id)) throw AppError.invalidParam('remote_id');
    const { skip, take } = paging(req.page, req.per_page);
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: req.remote_id });
    const pending = rc !== null && !isConfirmedRemote(rc);
    const qb = this.dataSource
      .getRepository(SharedChannelRemote)
      .createQueryBuilder('scr')
      .leftJoin(SharedChannel, 'sc', 'sc.channel_id = scr.channel_id')
      .where('scr.remote_id = :remote', { remote: req.remote_id });
    if (!req.include_deleted) qb.andWhere('scr.delete_at = 0');
    if (!req.include_unconfirmed) qb.andWhere('scr.is_invite_confirmed = true');
    if (req.exclude_confirmed) qb.andWhere('scr.is_invite_confirmed = false');
    if (req.exclude_home) qb.andWhere('sc.home IS DISTINCT FROM true');
    if (req.exclude_remote) qb.andWhere('sc.home = true');
    const rows = await qb.orderBy('scr.create_at', 'ASC').addOrderBy('scr.id', 'ASC').skip(skip).take(take).getMany();
    return { shares: rows.map((scr) => toSharedChannelRemoteJson(scr, pending)) };
  }

  /** Rows of `/share-channel status`: every live share of the channel, with the connection's state. */
  async shareStatus(req: ChannelRequest): Promise<ChannelShareStatusReply> {
    if (!isValidId(req.channel_id)) throw AppError.invalidParam('channel_id');
    if (!(await this.dataSource.getRepository(Channel).existsBy({ id: req.channel_id }))) throw AppError.notFound('channel');
    const sc = await this.dataSource.getRepository(SharedChannel).findOneBy({ channel_id: req.channel_id });
    if (!sc) return { shared: false, home: false, remotes: [] };
    const rows: {
      remote_id: string;
      display_name: string;
      name: string;
      site_url: string;
      last_ping_at: string;
      is_online: boolean;
      plugin_id: string;
      create_at: string;
      last_sync_at: string;
      readonly: boolean;
      is_invite_accepted: boolean;
      is_invite_confirmed: boolean;
    }[] = await this.dataSource.query(
      `SELECT scr.remote_id, rc.display_name, rc.name, rc.site_url, rc.last_ping_at, rc.is_online, rc.plugin_id, rc.create_at, scr.last_sync_at, scr.readonly,
              scr.is_invite_accepted, scr.is_invite_confirmed
       FROM shared_channel_remotes scr JOIN remote_clusters rc ON rc.remote_id = scr.remote_id
       WHERE scr.channel_id = $1 AND scr.delete_at = 0
       ORDER BY scr.create_at, scr.remote_id`,
      [sc.channel_id],
    );
    return {
      shared: true,
      home: sc.home,
      remotes: rows.map((r) => {
        const rc = { site_url: r.site_url, plugin_id: r.plugin_id, create_at: Number(r.create_at) } as RemoteCluster;
        const pending = !isConfirmedRemote(rc);
        return {
          channel_id: sc.channel_id,
          remote_id: r.remote_id,
          display_name: r.display_name || r.name,
          // A pending connection's site URL is a placeholder, not an address.
          site_url: pending ? '' : r.site_url,
          last_ping_at: Number(r.last_ping_at),
          last_sync_at: Number(r.last_sync_at),
          readonly: sc.home ? r.readonly : sc.readonly,
          is_invite_accepted: r.is_invite_accepted,
          is_invite_confirmed: r.is_invite_confirmed,
          is_online: r.is_online,
          connection_pending: pending,
          connection_expired: isExpiredPendingRemote(rc),
        };
      }),
    };
  }
}
