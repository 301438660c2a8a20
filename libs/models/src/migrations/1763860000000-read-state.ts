import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read state as Mattermost keeps it. Channels count their root posts apart (collapsed threads shows a channel unread
 * only for new root posts); a member's `msg_count`/`msg_count_root` are the channel's totals when they last viewed it
 * (unread = total - msg_count), and mentions are counted per member, root-only and urgent ones apart.
 * thread_memberships is Mattermost's ThreadMemberships: who follows which thread, when they last read it, and their
 * unread mentions there; reply counts and times are derived from posts when read.
 */
export class ReadState1763860000000 implements MigrationInterface {
  name = 'ReadState1763860000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE channels ADD COLUMN total_msg_count_root bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE channel_members ADD COLUMN msg_count_root bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE channel_members ADD COLUMN mention_count_root bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE channel_members ADD COLUMN urgent_mention_count bigint NOT NULL DEFAULT 0`);
    // Existing data: root totals from the posts there are (join and leave notices are not counted, as in Mattermost);
    // members have read the roots up to their last view.
    await q.query(`
      UPDATE channels c SET total_msg_count_root = (
        SELECT count(*) FROM posts p WHERE p.channel_id = c.id AND p.root_id = '' AND p.type NOT IN (${JOIN_LEAVE_SQL}))`);
    await q.query(`
      UPDATE channel_members m SET msg_count_root = LEAST((
        SELECT count(*) FROM posts p
        WHERE p.channel_id = m.channel_id AND p.root_id = '' AND p.create_at <= m.last_viewed_at AND p.type NOT IN (${JOIN_LEAVE_SQL})
      ), (SELECT c.total_msg_count_root FROM channels c WHERE c.id = m.channel_id))`);
    await q.query(`
      CREATE TABLE thread_memberships (
        post_id         varchar(26) NOT NULL,
        user_id         varchar(26) NOT NULL,
        following       boolean     NOT NULL DEFAULT true,
        last_viewed     bigint      NOT NULL DEFAULT 0,
        last_updated    bigint      NOT NULL DEFAULT 0,
        unread_mentions bigint      NOT NULL DEFAULT 0,
        CONSTRAINT pk_thread_memberships PRIMARY KEY (post_id, user_id),
        CONSTRAINT fk_thread_memberships_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE,
        CONSTRAINT fk_thread_memberships_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_thread_memberships_user_updated ON thread_memberships (user_id, last_updated)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE thread_memberships`);
    await q.query(`ALTER TABLE channel_members DROP COLUMN urgent_mention_count`);
    await q.query(`ALTER TABLE channel_members DROP COLUMN mention_count_root`);
    await q.query(`ALTER TABLE channel_members DROP COLUMN msg_count_root`);
    await q.query(`ALTER TABLE channels DROP COLUMN total_msg_count_root`);
  }
}

/** The notice types Mattermost's IsJoinLeaveMessage names (frozen here: a migration must not change with the code). */
const JOIN_LEAVE_SQL = [
  'system_join_leave',
  'system_join_channel',
  'system_guest_join_channel',
  'system_leave_channel',
  'system_add_remove',
  'system_add_to_channel',
  'system_remove_from_channel',
  'system_add_to_team',
  'system_join_team',
  'system_leave_team',
  'system_remove_from_team',
]
  .map((t) => `'${t}'`)
  .join(', ');
