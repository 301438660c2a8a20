import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The system bot's interactive posts about channel invitations held for review. `shared_channel_invitation_posts`
 * says which post (one per recipient) belongs to which invitation: only a post listed here can act on an invitation,
 * whatever its props say, and every listed post is rewritten once the invitation is decided (`closed_at` set then).
 * `shared_channel_invitation_choices` remembers the destination team a user picked in a post's menu until they press
 * Accept (Mattermost's clients send the menu and the button as two separate actions).
 */
export class InvitationReviewPosts1763910000000 implements MigrationInterface {
  name = 'InvitationReviewPosts1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE shared_channel_invitation_posts (
        post_id varchar(26) NOT NULL,
        invitation_id varchar(26) NOT NULL,
        user_id varchar(26) NOT NULL,
        create_at bigint NOT NULL DEFAULT 0,
        closed_at bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_shared_channel_invitation_posts PRIMARY KEY (post_id),
        CONSTRAINT fk_shared_channel_invitation_posts_invitation FOREIGN KEY (invitation_id)
          REFERENCES shared_channel_invitations (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_shared_channel_invitation_posts_invitation ON shared_channel_invitation_posts (invitation_id)`);
    await q.query(`
      CREATE TABLE shared_channel_invitation_choices (
        post_id varchar(26) NOT NULL,
        user_id varchar(26) NOT NULL,
        team_id varchar(26) NOT NULL,
        update_at bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_shared_channel_invitation_choices PRIMARY KEY (post_id, user_id),
        CONSTRAINT fk_shared_channel_invitation_choices_post FOREIGN KEY (post_id)
          REFERENCES shared_channel_invitation_posts (post_id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shared_channel_invitation_choices`);
    await q.query(`DROP TABLE shared_channel_invitation_posts`);
  }
}
