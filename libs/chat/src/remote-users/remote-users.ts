import { isDeepStrictEqual } from 'node:util';
import { newId } from '@fedchat/crypto';
import { isUniqueViolation, User } from '@fedchat/models';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { joinChannel } from '../channels/channel-membership';
import { mungUsername, munggedCandidates } from './usernames';
import { syntheticUserProps } from './users';
import type { SyncUser } from './sync-user.schema';

/** A peer's item this cluster will not apply (not the peer's to change, no free name, ...); the message goes on. */
export class RefusedItem extends Error {}

/** The connection a user arrived through: its id and the name that goes after the `:` of munged usernames. */
export interface UserSender {
  remote_id: string;
  name: string;
}

/**
 * Creates or updates the synthetic user for a peer's user (protocol §6), inside the caller's transaction. Only users
 * owned by the sender may change: a local user, or one that arrived through another connection, is refused
 * (`remoteID mismatch`). New users get a munged username (`alice:acme`, then `alice-2:acme`, ...), an undeliverable
 * email and no credentials; a rename at the origin is followed. Returns the stored user and whether it was created.
 */
export async function upsertRemoteUser(
  tx: EntityManager,
  sender: UserSender,
  incoming: SyncUser,
): Promise<{ user: User; created: boolean }> {
  const users = tx.getRepository(User);
  const existing = await users.findOneBy({ id: incoming.id });
  if (existing && existing.remote_id !== sender.remote_id) throw new RefusedItem('remoteID mismatch');
  const fields = {
    update_at: Date.now(),
    delete_at: incoming.delete_at,
    nickname: incoming.nickname,
    first_name: incoming.first_name,
    last_name: incoming.last_name,
    position: incoming.position,
    locale: incoming.locale,
    timezone: incoming.timezone,
    props: syntheticUserProps(incoming, sender.remote_id, existing?.props ?? {}),
    is_bot: incoming.is_bot,
  };
  if (existing) {
    // Renamed at the origin when the stored name is none of the munged forms of the name received.
    const forms = munggedCandidates(incoming.username, sender.name).map((suffix) => mungUsername(incoming.username, sender.name, suffix));
    const renamed = !forms.includes(existing.username);
    // A user sent again unchanged (the first message of every channel after an outage lists the same authors) is not
    // written: an update would lock the row until the transaction ends, and concurrent messages would queue on it.
    if (!renamed && sameProfile(existing, fields)) return { user: existing, created: false };
    await users.update({ id: existing.id }, fields as QueryDeepPartialEntity<User>);
    if (renamed) {
      await withFreeUsername(tx, incoming, sender.name, (username) => users.update({ id: existing.id }, { username }));
    }
  } else {
    let inserted = false;
    await withFreeUsername(tx, incoming, sender.name, async (username) => {
      // A conflict on the id is the same user created by a concurrent message, not a taken name.
      const result = await users
        .createQueryBuilder()
        .insert()
        .values(newRemoteUserRow(sender, incoming, username, Date.now()) as QueryDeepPartialEntity<User>)
        .onConflict('("id") DO NOTHING')
        .returning(['id'])
        .execute();
      inserted = (result.raw as unknown[]).length > 0;
    });
    // Committed meanwhile by another transaction: apply this one as an update of it.
    if (!inserted) return upsertRemoteUser(tx, sender, incoming);
  }
  const user = await users.findOneByOrFail({ id: incoming.id });
  return { user, created: !existing };
}

/** Whether the stored user already holds every field an update would write (its `update_at` aside). */
function sameProfile(existing: User, fields: Partial<User>): boolean {
  return Object.entries(fields).every(([key, value]) => key === 'update_at' || isDeepStrictEqual(existing[key as keyof User], value));
}

/**
 * The profile columns of a synthetic user as a peer's message sets them, for a new row or an update: the name and props
 * are decided by the caller; the email is undeliverable, so a synthetic user never gets mail here (protocol §6).
 */
export function syntheticUserProfile(incoming: SyncUser, username: string, props: Record<string, string>, now: number) {
  return {
    id: incoming.id,
    create_at: incoming.create_at || now,
    update_at: now,
    delete_at: incoming.delete_at,
    username,
    email: `${newId()}@remote.invalid`,
    nickname: incoming.nickname,
    first_name: incoming.first_name,
    last_name: incoming.last_name,
    position: incoming.position,
    props,
    locale: incoming.locale,
    timezone: incoming.timezone,
    is_bot: incoming.is_bot,
  };
}

/** The row of a new synthetic user: its profile, no credentials, owned by the sender. */
function newRemoteUserRow(sender: UserSender, incoming: SyncUser, username: string, now: number): Partial<User> {
  return {
    ...syntheticUserProfile(incoming, username, syntheticUserProps(incoming, sender.remote_id, {}), now),
    email_verified: false,
    password: '',
    auth_data: null,
    auth_service: '',
    roles: 'system_user',
    allow_marketing: false,
    notify_props: {},
    last_password_update: now,
    last_picture_update: 0,
    failed_attempts: 0,
    mfa_active: false,
    mfa_secret: '',
    remote_id: sender.remote_id,
  };
}

/** Tries `alice:acme`, `alice-2:acme`, … until the username is free (protocol §6). */
async function withFreeUsername(tx: EntityManager, user: SyncUser, remoteName: string, write: (u: string) => Promise<unknown>) {
  for (const suffix of munggedCandidates(user.username, remoteName)) {
    const username = mungUsername(user.username, remoteName, suffix);
    await tx.query('SAVEPOINT remote_username');
    try {
      await write(username);
      await tx.query('RELEASE SAVEPOINT remote_username');
      return;
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT remote_username');
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new RefusedItem('no free username');
}

/**
 * Makes a remote user a member of a team channel and of its team (protocol §6: received users join both); says which
 * of the two memberships are new.
 */
export async function addToTeamChannel(
  tx: EntityManager,
  channel: { id: string; team_id: string },
  userId: string,
): Promise<{ joinedTeam: boolean; joinedChannel: boolean }> {
  const now = Date.now();
  // A live membership is left alone and unlocked (ON CONFLICT DO UPDATE would lock it even when its WHERE is false, and
  // every channel of the team receiving the same author would queue on that row): only a left one is updated.
  const team: unknown[] = await tx.query(
    `WITH rejoined AS (
       UPDATE team_members SET delete_at = 0 WHERE team_id = $1 AND user_id = $2 AND delete_at > 0 RETURNING user_id
     ), added AS (
       INSERT INTO team_members (team_id, user_id, roles, delete_at, scheme_user, scheme_admin, create_at)
       SELECT $1::varchar, $2::varchar, 'team_user', 0, true, false, $3::bigint
       WHERE NOT EXISTS (SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2)
       ON CONFLICT (team_id, user_id) DO NOTHING
       RETURNING user_id
     )
     SELECT user_id FROM rejoined UNION ALL SELECT user_id FROM added`,
    [channel.team_id, userId, now],
  );
  const { created } = await joinChannel(tx, channel.id, userId, { admin: false, now });
  return { joinedTeam: team.length > 0, joinedChannel: created };
}
