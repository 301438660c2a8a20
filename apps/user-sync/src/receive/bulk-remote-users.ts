import { mungUsername, munggedCandidates, SyncUser, syntheticUserProfile, syntheticUserProps, UserSender } from '@fedchat/chat';
import { returning } from '@fedchat/models';
import { DataSource } from 'typeorm';

/** What the bulk step knows of a user already stored here. */
interface StoredUser {
  id: string;
  remote_id: string;
  username: string;
  props: Record<string, string> | null;
}

/** The columns of a synthetic user the bulk statement writes, as one element of its JSON parameter. */
type UserRow = ReturnType<typeof syntheticUserProfile>;

/** Reads the connection and the stored users among `ids` in one statement. */
export async function readSenderAndUsers(
  db: DataSource,
  remoteId: string,
  ids: string[],
): Promise<{ sender?: UserSender; stored: Map<string, StoredUser> }> {
  const [row]: { sender: UserSender | null; users: StoredUser[] }[] = await db.query(
    `SELECT (SELECT json_build_object('remote_id', remote_id, 'name', name) FROM remote_clusters
             WHERE remote_id = $1 AND delete_at = 0) AS sender,
            (SELECT COALESCE(json_agg(json_build_object('id', id, 'remote_id', remote_id, 'username', username, 'props', props)), '[]')
             FROM users WHERE id = ANY($2)) AS users`,
    [remoteId, ids],
  );
  return { sender: row.sender ?? undefined, stored: new Map(row.users.map((u) => [u.id, u])) };
}

/**
 * Applies, with one statement, the common case of a batch of a peer's users (protocol §6): users new here get their
 * first-choice munged name (`alice:acme`), users the sender already owns here and whose stored name is still one of
 * the munged forms of the name received are updated in place. Returns the ids written; everything else (a name
 * taken, a rename at the origin, a user that exists but is not the sender's, a row that changed meanwhile) is left to
 * the caller's one-by-one path, which applies the same rules with the collision retries and refusals. The
 * statement re-checks what the decision was based on (the id still free, the owner and name unchanged), so a
 * concurrent writer only sends a user down the slow path.
 */
export async function applyRemoteUsersInBulk(
  db: DataSource,
  sender: UserSender,
  users: SyncUser[],
  stored: Map<string, StoredUser>,
): Promise<Set<string>> {
  const now = Date.now();
  const inserts: UserRow[] = [];
  const updates: (UserRow & { stored_username: string })[] = [];
  for (const user of users) {
    const existing = stored.get(user.id);
    const row = (username: string, props: Record<string, string>): UserRow => syntheticUserProfile(user, username, props, now);
    if (!existing) {
      inserts.push(row(mungUsername(user.username, sender.name, ''), syntheticUserProps(user, sender.remote_id, {})));
    } else if (existing.remote_id === sender.remote_id && isMungedFormOf(existing.username, user.username, sender.name)) {
      updates.push({
        ...row(existing.username, syntheticUserProps(user, sender.remote_id, existing.props)),
        stored_username: existing.username,
      });
    }
  }
  if (inserts.length === 0 && updates.length === 0) return new Set();
  const written = await returning<{ id: string }>(
    db,
    `WITH ins AS (
       INSERT INTO users (id, create_at, update_at, delete_at, username, password, auth_data, auth_service, email, email_verified,
                          nickname, first_name, last_name, position, roles, allow_marketing, props, notify_props,
                          last_password_update, last_picture_update, failed_attempts, locale, timezone, mfa_active, mfa_secret,
                          remote_id, is_bot)
       SELECT x.id, x.create_at, x.update_at, x.delete_at, x.username, '', NULL, '', x.email, false,
              x.nickname, x.first_name, x.last_name, x.position, 'system_user', false, x.props, '{}',
              x.update_at, 0, 0, x.locale, x.timezone, false, '',
              $1, x.is_bot
       FROM jsonb_to_recordset($2::jsonb) AS x(id varchar, create_at bigint, update_at bigint, delete_at bigint, username varchar,
              email varchar, nickname varchar, first_name varchar, last_name varchar, position varchar, props jsonb,
              locale varchar, timezone jsonb, is_bot boolean)
       ON CONFLICT DO NOTHING
       RETURNING id
     ), upd AS (
       UPDATE users u SET update_at = x.update_at, delete_at = x.delete_at, nickname = x.nickname, first_name = x.first_name,
              last_name = x.last_name, position = x.position, locale = x.locale, timezone = x.timezone, props = x.props,
              is_bot = x.is_bot
       FROM jsonb_to_recordset($3::jsonb) AS x(id varchar, update_at bigint, delete_at bigint, nickname varchar,
              first_name varchar, last_name varchar, position varchar, props jsonb, locale varchar, timezone jsonb,
              is_bot boolean, stored_username varchar)
       WHERE u.id = x.id AND u.remote_id = $1 AND u.username = x.stored_username
       RETURNING u.id
     )
     SELECT id FROM ins UNION ALL SELECT id FROM upd`,
    [sender.remote_id, JSON.stringify(inserts), JSON.stringify(updates)],
  );
  return new Set(written.map((r) => r.id));
}

/** True when `stored` is one of the munged names of `received` from `remoteName` (no rename at the origin). */
function isMungedFormOf(stored: string, received: string, remoteName: string): boolean {
  return munggedCandidates(received, remoteName).some((suffix) => mungUsername(received, remoteName, suffix) === stored);
}
