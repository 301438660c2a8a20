import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SystemPosts } from '@fedchat/chat';
import { RemoteCluster, returning, SharedChannelInvitation, Team, User } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { decidedPostContent, outcomeText, ReviewedInvitation, reviewPostContent, TeamOption } from './invitation-review-post';
import { toInvitationJson } from './sharing.mapper';

/** The destination menu lists at most this many teams (alphabetically); the REST accept takes any team. */
export const MAX_TEAM_OPTIONS = 100;

/** A role of the user's system roles grants the permission (read from the roles table, which every process shares). */
const HOLDS_PERMISSION = `EXISTS (SELECT 1 FROM roles r WHERE r.delete_at = 0 AND r.permissions @> jsonb_build_array($PERM::text)
  AND (' ' || u.roles || ' ') LIKE ('% ' || r.name || ' %'))`;

/**
 * The system bot's review posts about invitations held for review: one direct message per user allowed to decide
 * (an active local user whose system roles grant `manage_shared_channels`, which is what the post's buttons and the
 * REST review routes require), each with the decision's menu and buttons; and, once the invitation is decided by
 * whatever path, every one of those posts rewritten to show the outcome.
 */
@Injectable()
export class InvitationReviewPosts {
  private readonly logger = new Logger('SharingInvitationReview');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly posts: SystemPosts,
  ) {}

  /** Sends the review post to everyone allowed to decide. Never throws: the invitation is kept either way. */
  async announce(invitationId: string): Promise<void> {
    try {
      const inv = await this.dataSource.getRepository(SharedChannelInvitation).findOneBy({ id: invitationId });
      if (!inv || inv.status !== 'pending') return;
      const reviewed = await this.reviewed(inv);
      const deciders: { id: string }[] = await this.dataSource.query(
        `SELECT u.id FROM users u WHERE u.delete_at = 0 AND u.remote_id = '' AND u.is_bot = false AND ${HOLDS_PERMISSION.replace('$PERM', '$1')}
         ORDER BY u.id`,
        ['manage_shared_channels'],
      );
      for (const decider of deciders) {
        try {
          const { message, props } = reviewPostContent(reviewed, await this.teamsFor(decider.id));
          const post = await this.posts.directMessage(decider.id, message, props);
          await this.dataSource.query(
            `INSERT INTO shared_channel_invitation_posts (post_id, invitation_id, user_id, create_at) VALUES ($1, $2, $3, $4)`,
            [post.id, inv.id, decider.id, post.create_at],
          );
        } catch (err) {
          this.logger.error({ user_id: decider.id, invitation_id: inv.id, err: String(err) }, 'could not send the review post');
        }
      }
      this.logger.log({ invitation_id: inv.id, recipients: deciders.length }, 'review posts sent');
    } catch (err) {
      this.logger.error({ invitation_id: invitationId, err: String(err) }, 'could not send the review posts');
    }
  }

  /**
   * Rewrites the open review posts of a decided invitation to show the outcome (each post once: the first caller to
   * close a post rewrites it). Never throws: the decision stands either way.
   */
  async showOutcome(invitationId: string): Promise<void> {
    try {
      const inv = await this.dataSource.getRepository(SharedChannelInvitation).findOneBy({ id: invitationId });
      if (!inv || inv.status === 'pending') return;
      const closed = await returning<{ post_id: string }>(
        this.dataSource,
        `UPDATE shared_channel_invitation_posts SET closed_at = $2 WHERE invitation_id = $1 AND closed_at = 0 RETURNING post_id`,
        [inv.id, Date.now()],
      );
      if (closed.length === 0) return;
      const content = decidedPostContent(await this.reviewed(inv), await this.outcome(inv), inv.status === 'accepted');
      for (const { post_id } of closed) await this.posts.rewriteBotPost(post_id, content.message, content.props);
    } catch (err) {
      this.logger.error({ invitation_id: invitationId, err: String(err) }, 'could not show the outcome on the review posts');
    }
  }

  /** showOutcome for the invitation of a channel from a connection, if there is one (e.g. accepted on a re-invite). */
  async showOutcomeOf(channelId: string, remoteId: string): Promise<void> {
    const inv = await this.dataSource.getRepository(SharedChannelInvitation).findOneBy({ channel_id: channelId, remote_id: remoteId });
    if (inv) await this.showOutcome(inv.id);
  }

  /** "Accepted into team X by @user", "Declined by @user", ... */
  async outcome(inv: SharedChannelInvitation): Promise<string> {
    const team = inv.team_id ? await this.dataSource.getRepository(Team).findOneBy({ id: inv.team_id }) : null;
    const user = inv.decided_by ? await this.dataSource.getRepository(User).findOneBy({ id: inv.decided_by }) : null;
    return outcomeText(inv.status, team?.display_name, user?.username);
  }

  /**
   * The teams a user may choose as the destination: the active teams they belong to, or every active team for a user
   * whose system roles grant `manage_team` (system admins).
   */
  async teamsFor(userId: string): Promise<TeamOption[]> {
    return this.dataSource.query(
      `SELECT t.id, t.display_name FROM teams t
       WHERE t.delete_at = 0 AND (
         EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = $1 AND m.delete_at = 0)
         OR EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND ${HOLDS_PERMISSION.replace('$PERM', '$2')}))
       ORDER BY lower(t.display_name), t.id
       LIMIT ${MAX_TEAM_OPTIONS}`,
      [userId, 'manage_team'],
    );
  }

  /** Whether the user may choose this team now (see teamsFor; no limit here). */
  async mayUseTeam(userId: string, teamId: string): Promise<boolean> {
    const [row]: { ok: boolean }[] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM teams t WHERE t.id = $3 AND t.delete_at = 0 AND (
         EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = $1 AND m.delete_at = 0)
         OR EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND ${HOLDS_PERMISSION.replace('$PERM', '$2')}))) AS ok`,
      [userId, 'manage_team', teamId],
    );
    return row.ok;
  }

  private async reviewed(inv: SharedChannelInvitation): Promise<ReviewedInvitation> {
    const json = toInvitationJson(inv);
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: inv.remote_id });
    return {
      invitation_id: inv.id,
      display_name: json.display_name,
      name: json.name,
      type: json.type,
      read_only: json.read_only,
      connection: rc ? rc.display_name || rc.name : inv.remote_id,
    };
  }
}
