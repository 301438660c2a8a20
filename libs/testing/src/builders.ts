import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { hashToken, newId } from '@fedchat/crypto';
import { Channel, ChannelMember, Post, RemoteCluster, SharedChannel, SharedChannelRemote, Team, TeamMember, User } from '@fedchat/models';

/*
 * Rows that tests need as a starting point and that are not what they test, written through the entities (so a
 * renamed column fails to compile, not at run time) with defaults for everything the test does not care about.
 */

/** A team (open, `team-<id>`). */
export async function newTeam(db: DataSource, fields: Partial<Team> = {}): Promise<Team> {
  const id = fields.id ?? newId();
  const now = Date.now();
  const team = db
    .getRepository(Team)
    .create({ id, create_at: now, update_at: now, display_name: 'Team', name: `team-${id}`, type: 'O', ...fields });
  await db.getRepository(Team).insert(team);
  return team;
}

/** A channel of a team (open, `chan-<id>`). */
export async function newChannel(db: DataSource, fields: Partial<Channel> & Pick<Channel, 'team_id' | 'creator_id'>): Promise<Channel> {
  const id = fields.id ?? newId();
  const now = Date.now();
  const channel = db
    .getRepository(Channel)
    .create({ id, create_at: now, update_at: now, type: 'O', display_name: 'Chan', name: `chan-${id}`, ...fields });
  await db.getRepository(Channel).insert(channel);
  return channel;
}

/** Makes the user a member of the team, if not one already. */
export async function addTeamMember(db: DataSource, teamId: string, userId: string): Promise<void> {
  await db
    .createQueryBuilder()
    .insert()
    .into(TeamMember)
    .values({ team_id: teamId, user_id: userId, roles: 'team_user', create_at: Date.now() })
    .orIgnore()
    .execute();
}

/** Makes the user a member of the channel, if not one already. */
export async function addChannelMember(db: DataSource, channelId: string, userId: string): Promise<void> {
  await db
    .createQueryBuilder()
    .insert()
    .into(ChannelMember)
    .values({ channel_id: channelId, user_id: userId, roles: 'channel_user' })
    .orIgnore()
    .execute();
}

/** A user without password (e.g. one that arrived from a remote: set `remote_id` and a `name:remote` username). */
export async function newUser(db: DataSource, fields: Partial<User> = {}): Promise<User> {
  const id = fields.id ?? newId();
  const now = Date.now();
  const user = db
    .getRepository(User)
    .create({ id, create_at: now, update_at: now, username: `user-${id}`, email: `${id}@example.invalid`, ...fields });
  await db.getRepository(User).insert(user);
  return user;
}

/** A post written as it is stored; files named in `file_ids` are attached to it. */
export async function newPost(db: DataSource, fields: Partial<Post> & Pick<Post, 'channel_id' | 'user_id'>): Promise<Post> {
  const now = Date.now();
  const post = db.getRepository(Post).create({ id: newId(), create_at: now, update_at: now, message: 'a post', ...fields });
  await db.transaction(async (tx) => {
    await tx.getRepository(Post).insert({ ...post } as QueryDeepPartialEntity<Post>);
    for (const fileId of post.file_ids ?? []) await tx.query('UPDATE file_infos SET post_id = $1 WHERE id = $2', [post.id, fileId]);
  });
  return post;
}

/**
 * A connection (secure connection) to a remote, as it stands once confirmed. `token` is what the remote presents to
 * us; only its hash is stored, as the real connection does.
 */
export async function newRemote(db: DataSource, fields: Partial<RemoteCluster> & { token?: string } = {}): Promise<RemoteCluster> {
  const { token, ...columns } = fields;
  const remoteId = columns.remote_id ?? newId();
  const name = columns.name ?? `peer-${remoteId.slice(0, 8)}`;
  const remote = db.getRepository(RemoteCluster).create({
    remote_id: remoteId,
    name,
    display_name: name,
    site_url: `http://${name}.invalid`,
    create_at: Date.now(),
    ...(token === undefined ? {} : { token_hash: hashToken(token) }),
    ...columns,
  });
  await db.getRepository(RemoteCluster).insert(remote);
  return remote;
}

/**
 * A shared channel and its accepted, confirmed invitations to `remoteIds`, as an accepted invitation leaves them; the
 * channel is marked shared. Shared here (home) unless `remote_id` names the remote that shared it with us.
 * `invitation` sets further columns of every `shared_channel_remotes` row.
 */
export async function newShare(
  db: DataSource,
  fields: Partial<SharedChannel> & Pick<SharedChannel, 'channel_id' | 'creator_id'>,
  remoteIds: string[],
  invitation: Partial<SharedChannelRemote> = {},
): Promise<SharedChannel> {
  const now = Date.now();
  const share = db
    .getRepository(SharedChannel)
    .create({ home: !fields.remote_id, share_name: 'x', create_at: now, update_at: now, ...fields });
  await db.transaction(async (tx) => {
    if (share.team_id === undefined) share.team_id = (await tx.getRepository(Channel).findOneByOrFail({ id: share.channel_id })).team_id;
    await tx.getRepository(SharedChannel).insert(share);
    await tx.getRepository(Channel).update({ id: share.channel_id }, { shared: true });
    for (const remoteId of remoteIds) {
      await tx.getRepository(SharedChannelRemote).insert({
        id: newId(),
        channel_id: share.channel_id,
        creator_id: share.creator_id,
        remote_id: remoteId,
        is_invite_accepted: true,
        is_invite_confirmed: true,
        create_at: now,
        update_at: now,
        ...invitation,
      });
    }
  });
  return share;
}
