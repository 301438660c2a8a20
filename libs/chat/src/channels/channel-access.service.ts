import { Injectable } from '@nestjs/common';
import { isValidId } from '@fedchat/crypto';
import { AppError } from '@fedchat/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Channel, ChannelMember, preparedQuery, TeamMember, User } from '@fedchat/models';
import { Repository } from 'typeorm';
import {
  hasPermission,
  Permission,
  rolesGranting,
  ROLE_CHANNEL_ADMIN,
  ROLE_CHANNEL_USER,
  ROLE_TEAM_ADMIN,
  ROLE_TEAM_USER,
} from '../permissions';
import { moderationOf } from '../roles/channel-moderations';
import { HeldRoles, heldRoles, heldRolesGrant, MembershipRow } from '../roles/held-roles';

/**
 * The one place that decides who may read and write a channel. Members read and write; members of a public
 * channel's team may read it without joining; archived channels are read-only; system admins read everything.
 */
@Injectable()
export class ChannelAccess {
  constructor(
    @InjectRepository(Channel) private readonly channels: Repository<Channel>,
    @InjectRepository(ChannelMember) private readonly members: Repository<ChannelMember>,
    @InjectRepository(TeamMember) private readonly teamMembers: Repository<TeamMember>,
  ) {}

  async channelOrThrow(channelId: string): Promise<Channel> {
    if (!isValidId(channelId)) throw AppError.invalidParam('channel_id');
    const channel = await this.channels.findOneBy({ id: channelId });
    if (!channel) throw AppError.notFound('channel');
    return channel;
  }

  async isMember(userId: string, channelId: string): Promise<boolean> {
    return this.members.existsBy({ user_id: userId, channel_id: channelId });
  }

  async canRead(user: User, channel: Channel): Promise<boolean> {
    if (await this.isMember(user.id, channel.id)) return true;
    if (hasPermission(user.roles, Permission.ReadAnyChannel)) return true;
    if (channel.type !== 'O') return false;
    return this.teamMembers.existsBy({ team_id: channel.team_id, user_id: user.id, delete_at: 0 });
  }

  /** Loads the channel and checks read access; 404 rather than 403 for private channels one cannot see. */
  async requireRead(user: User, channelId: string): Promise<Channel> {
    const channel = await this.channelOrThrow(channelId);
    if (!(await this.canRead(user, channel))) {
      if (channel.type === 'O') throw AppError.forbidden('read_channel');
      throw AppError.notFound('channel');
    }
    return channel;
  }

  /**
   * Loads the channel and checks that the user may write in it (post, react, upload), and, given `permission`, that
   * they hold it there (their roles, the team's scheme, the channel's moderations). Every post and reaction passes
   * here, so it is one statement: the channel, the membership, a read-only share and the roles together. A non-member
   * is refused, after the read check decides which refusal they get.
   */
  async requireWrite(user: User, channelId: string, permission?: Permission): Promise<Channel> {
    if (!isValidId(channelId)) throw AppError.invalidParam('channel_id');
    const rows = await preparedQuery<WriteAccessRow>(this.channels.manager.connection, 'channel-access.require-write', REQUIRE_WRITE_SQL, [
      channelId,
      user.id,
    ]);
    return this.checkWrite(user, rows[0], permission);
  }

  /**
   * The refusal `requireWrite` gives for the access row a statement read (`WRITE_ACCESS_SQL` or its own; none: the
   * channel does not exist), or the channel when the user may write in it.
   */
  async checkWrite(user: User, row: WriteAccessRow | undefined, permission?: Permission): Promise<Channel> {
    if (!row) throw AppError.notFound('channel');
    const channel = toChannel(row);
    if (!row.channel_member) await this.requireRead(user, channel.id);
    if (channel.delete_at > 0) {
      throw new AppError('api.post.create_post.can_not_post_to_deleted.error', 'Can not post to a deleted channel.', 403);
    }
    if (!row.channel_member) throw AppError.forbidden('create_post');
    if (row.read_only_share) {
      // A read-only share from another workspace: members here may read, not post or react (the home refuses too).
      throw new AppError('api.post.create_post.shared_channel_read_only.app_error', 'This shared channel is read-only here.', 403);
    }
    if (permission && !hasPermission(user.roles, permission) && !heldRolesGrant(heldRoles(row), permission, false)) {
      throw AppError.forbidden(permission);
    }
    return channel;
  }

  /** The channel of an access row (`WRITE_ACCESS_SQL`'s), converted as TypeORM would. */
  channelOf(row: WriteAccessRow): Channel {
    return toChannel(row);
  }

  /** The parameters $1–$5 of `WRITE_ACCESS_SQL` for `user` writing in channel `channelId` with `permission`. */
  writeAccessParams(user: User, channelId: string, permission: Permission): unknown[] {
    return [channelId, user.id, hasPermission(user.roles, permission), rolesGranting(permission), moderationOf(permission) ?? null];
  }

  /**
   * The team and channel roles the user holds in the channel, and the channel's moderations, in one query (the
   * posting path asks this once per post).
   */
  async channelRoles(userId: string, channel: Channel): Promise<HeldRoles> {
    const rows: MembershipRow[] = await this.channels.query(
      `SELECT ${ROLE_COLUMNS} FROM (SELECT $1::varchar AS id, $3::varchar AS team_id) AS c ${ROLE_JOINS}`,
      [channel.id, userId, channel.team_id],
    );
    return heldRoles(rows[0]);
  }

  /**
   * Whether the user holds `permission` in the channel: through their system roles, their team roles and their
   * channel roles (the team's override scheme's copies where it has one). A moderation of the channel that withdraws
   * the permission from members leaves it to the admin roles; `adminRolesOnly` asks that for any permission (the
   * suite's finer lines, e.g. removing someone else from a channel).
   */
  async hasChannelPermission(user: User, channel: Channel, permission: Permission, adminRolesOnly = false): Promise<boolean> {
    if (hasPermission(user.roles, permission)) return true;
    return heldRolesGrant(await this.channelRoles(user.id, channel), permission, adminRolesOnly);
  }
}

/** The channels row as plain SQL returns it (bigint columns arrive as strings). */
interface ChannelRow extends Omit<Channel, ChannelBigint> {
  create_at: string;
  update_at: string;
  delete_at: string;
  last_post_at: string;
  total_msg_count: string;
  last_root_post_at: string;
  total_msg_count_root: string;
}
type ChannelBigint =
  'create_at' | 'update_at' | 'delete_at' | 'last_post_at' | 'total_msg_count' | 'last_root_post_at' | 'total_msg_count_root';

/** The roles a user ($2) holds in a channel `c` and the channel's moderations, as `heldRoles` reads them. */
const ROLE_COLUMNS = `cm.user_id IS NOT NULL AS channel_member, cm.scheme_admin AS channel_scheme_admin, cm.roles AS channel_roles,
  tm.user_id IS NOT NULL AS team_member, tm.scheme_admin AS team_scheme_admin, tm.roles AS team_roles,
  s.default_team_user_role, s.default_team_admin_role, s.default_channel_user_role, s.default_channel_admin_role,
  ARRAY(SELECT m.name FROM channel_moderations m WHERE m.channel_id = c.id) AS withdrawn`;
const ROLE_JOINS = `LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = $2
  LEFT JOIN team_members tm ON tm.team_id = c.team_id AND tm.user_id = $2 AND tm.delete_at = 0
  LEFT JOIN teams t ON t.id = c.team_id
  LEFT JOIN schemes s ON s.id = t.scheme_id AND s.delete_at = 0`;

const CHANNEL_COLUMNS = [
  'id',
  'create_at',
  'update_at',
  'delete_at',
  'team_id',
  'type',
  'display_name',
  'name',
  'header',
  'purpose',
  'last_post_at',
  'total_msg_count',
  'creator_id',
  'shared',
  'last_root_post_at',
  'total_msg_count_root',
]
  .map((column) => `c.${column}`)
  .join(', ');

const READ_ONLY_SHARE = `c.shared AND EXISTS (SELECT 1 FROM shared_channels s WHERE s.channel_id = c.id AND NOT s.home AND s.readonly)`;

/** The channel ($1), whether it is a read-only share here, and the roles user $2 holds in it. */
const REQUIRE_WRITE_SQL = `SELECT ${CHANNEL_COLUMNS}, ${READ_ONLY_SHARE} AS read_only_share, ${ROLE_COLUMNS}
  FROM channels c
  ${ROLE_JOINS}
  WHERE c.id = $1`;

/** Whether membership row `m` makes the user an admin: its scheme flag, or the role stored in its roles (as `heldRoles`). */
const holdsAdmin = (m: string, adminRole: string) =>
  `(${m}.scheme_admin IS TRUE OR '${adminRole}' = ANY(regexp_split_to_array(${m}.roles, '\\s+')))`;
const MEMBER_ROLES = `ARRAY[
    CASE WHEN tm.user_id IS NOT NULL THEN COALESCE(s.default_team_user_role, '${ROLE_TEAM_USER}') END,
    CASE WHEN cm.user_id IS NOT NULL THEN COALESCE(s.default_channel_user_role, '${ROLE_CHANNEL_USER}') END]::text[]`;
const ADMIN_ROLES = `ARRAY[
    CASE WHEN tm.user_id IS NOT NULL AND ${holdsAdmin('tm', ROLE_TEAM_ADMIN)} THEN COALESCE(s.default_team_admin_role, '${ROLE_TEAM_ADMIN}') END,
    CASE WHEN cm.user_id IS NOT NULL AND ${holdsAdmin('cm', ROLE_CHANNEL_ADMIN)} THEN COALESCE(s.default_channel_admin_role, '${ROLE_CHANNEL_ADMIN}') END]::text[]`;

/**
 * The write-access check of `requireWrite`, as a CTE `access` for a statement that writes only when it passes: the
 * row `requireWrite` reads (channel $1, user $2) and `may_write`, true when `checkWrite` would let the user write with
 * the permission of `writeAccessParams` ($3: their system roles grant it; $4: the roles that grant it; $5: the
 * moderation that may withdraw it from members). `may_write` may be false where `checkWrite` allows (it is the cheap
 * common case: a member holding the permission through their roles), never the other way round; so a statement that
 * wrote nothing hands the row to `checkWrite` for the refusal or its slower path.
 */
export const WRITE_ACCESS_SQL = `access AS (
    SELECT ${CHANNEL_COLUMNS}, ${READ_ONLY_SHARE} AS read_only_share, ${ROLE_COLUMNS},
      c.delete_at = 0 AND cm.user_id IS NOT NULL AND NOT (${READ_ONLY_SHARE}) AND (
        $3::boolean
        OR ${ADMIN_ROLES} && $4::text[]
        OR (${MEMBER_ROLES} && $4::text[]
          AND NOT EXISTS (SELECT 1 FROM channel_moderations m WHERE m.channel_id = c.id AND m.name = $5::text))
      ) AS may_write
    FROM channels c
    ${ROLE_JOINS}
    WHERE c.id = $1
  )`;

/** What `requireWrite` reads about a channel and the user's place in it. */
export type WriteAccessRow = ChannelRow & MembershipRow & { read_only_share: boolean };

function toChannel(row: ChannelRow): Channel {
  return Object.assign(new Channel(), {
    id: row.id,
    create_at: Number(row.create_at),
    update_at: Number(row.update_at),
    delete_at: Number(row.delete_at),
    team_id: row.team_id,
    type: row.type,
    display_name: row.display_name,
    name: row.name,
    header: row.header,
    purpose: row.purpose,
    last_post_at: Number(row.last_post_at),
    total_msg_count: Number(row.total_msg_count),
    creator_id: row.creator_id,
    shared: row.shared,
    last_root_post_at: Number(row.last_root_post_at),
    total_msg_count_root: Number(row.total_msg_count_root),
  });
}
