import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SystemPosts } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError, remoteClusterServiceEnabled } from '@fedchat/common';
import { InvitationPostActionReply, InvitationPostActionRequest, InvitationReviewAction } from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import { Post, SharedChannelInvitation } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { ChannelInviteReceiver } from './channel-invite-receiver.service';
import { InvitationReviewPosts } from './invitation-review-posts.service';

const NOT_PENDING = 'api.shared_channel.invitation.not_pending.app_error';

/**
 * Clicks on the system bot's review posts (Mattermost's DoPostAction, for the suite's own integration). Mattermost's
 * clients send the destination menu and the buttons as separate calls, so the menu's choice is remembered per post
 * and user until Accept; Accept and Decline go through the same decision as the REST review routes.
 *
 * A refusal is an AppError for the API caller and also an ephemeral message in the conversation, because the apps do
 * not show the error of an action call. Only posts recorded as review posts act, whatever a post's props say.
 */
@Injectable()
export class InvitationPostActions {
  private readonly logger = new Logger('SharingInvitationActions');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly receiver: ChannelInviteReceiver,
    private readonly reviewPosts: InvitationReviewPosts,
    private readonly posts: SystemPosts,
  ) {}

  async act(req: InvitationPostActionRequest): Promise<InvitationPostActionReply> {
    if (!isValidId(req.post_id)) throw AppError.invalidParam('post_id');
    const [link]: { invitation_id: string; channel_id: string }[] = await this.dataSource.query(
      `SELECT l.invitation_id, p.channel_id FROM shared_channel_invitation_posts l JOIN posts p ON p.id = l.post_id
       WHERE l.post_id = $1 AND p.delete_at = 0`,
      [req.post_id],
    );
    // Not a review post (or its invitation is gone): as Mattermost answers a post without that action.
    if (!link) throw new AppError('api.post.do_action.action_id.app_error', 'Unable to find the action.', 404);
    try {
      return await this.decide(req, link.invitation_id);
    } catch (err) {
      if (err instanceof AppError && err.getStatus() < 500) {
        await this.posts.ephemeral(req.actor_id, link.channel_id, err.message).catch(() => undefined);
      }
      throw err;
    }
  }

  private async decide(req: InvitationPostActionRequest, invitationId: string): Promise<InvitationPostActionReply> {
    if (!remoteClusterServiceEnabled(this.config) || !this.config.connectedWorkspaces.enableSharedChannels) {
      throw new AppError('api.remote_cluster.service_not_enabled.app_error', 'The remote cluster service is not enabled.', 501);
    }
    await this.requirePending(invitationId);
    const decision = { actor_id: req.actor_id, invitation_id: invitationId };
    try {
      switch (req.action_id) {
        case InvitationReviewAction.ChooseTeam:
          await this.chooseTeam(req);
          return { outcome: 'team_chosen' };
        case InvitationReviewAction.Accept: {
          const teamId = await this.chosenTeam(req);
          await this.receiver.decide({ ...decision, team_id: teamId });
          this.logger.log(
            { invitation_id: invitationId, actor_id: req.actor_id, team_id: teamId },
            'invitation accepted from the review post',
          );
          return { outcome: 'accepted' };
        }
        case InvitationReviewAction.Decline:
          await this.receiver.decide(decision);
          this.logger.log({ invitation_id: invitationId, actor_id: req.actor_id }, 'invitation declined from the review post');
          return { outcome: 'declined' };
        default:
          throw new AppError('api.post.do_action.action_id.app_error', 'Unable to find the action.', 404);
      }
    } catch (err) {
      // Another admin was faster: say who decided what, as for a click on a decided invitation.
      if (err instanceof AppError && err.errorId === NOT_PENDING) await this.requirePending(invitationId);
      throw err;
    }
  }

  /** 400 naming the outcome when the invitation was decided already (and its posts are brought up to date). */
  private async requirePending(invitationId: string): Promise<void> {
    const inv = await this.dataSource.getRepository(SharedChannelInvitation).findOneBy({ id: invitationId });
    if (!inv) throw AppError.notFound('shared channel invitation', 'app.shared_channel.invitation.get.app_error');
    if (inv.status === 'pending') return;
    await this.reviewPosts.showOutcome(inv.id);
    throw AppError.badRequest(
      'api.shared_channel.invitation.already_decided.app_error',
      `This invitation was already decided: ${await this.reviewPosts.outcome(inv)}`,
    );
  }

  /** The menu's choice: one of the post's own options, and a team the user may use now. */
  private async chooseTeam(req: InvitationPostActionRequest): Promise<void> {
    const teamId = req.selected_option;
    if (!teamId) throw AppError.invalidParam('selected_option');
    const post = await this.dataSource.getRepository(Post).findOneByOrFail({ id: req.post_id });
    if (!menuOptions(post.props).includes(teamId) || !(await this.reviewPosts.mayUseTeam(req.actor_id, teamId))) {
      throw invalidTeam();
    }
    await this.dataSource.query(
      `INSERT INTO shared_channel_invitation_choices (post_id, user_id, team_id, update_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (post_id, user_id) DO UPDATE SET team_id = EXCLUDED.team_id, update_at = EXCLUDED.update_at`,
      [req.post_id, req.actor_id, teamId, Date.now()],
    );
  }

  private async chosenTeam(req: InvitationPostActionRequest): Promise<string> {
    const [choice]: { team_id: string }[] = await this.dataSource.query(
      `SELECT team_id FROM shared_channel_invitation_choices WHERE post_id = $1 AND user_id = $2`,
      [req.post_id, req.actor_id],
    );
    if (!choice) {
      throw AppError.badRequest(
        'api.shared_channel.invitation.team_required.app_error',
        'Choose the destination team in the menu first, then select Accept.',
      );
    }
    // Memberships may have changed since the choice.
    if (!(await this.reviewPosts.mayUseTeam(req.actor_id, choice.team_id))) throw invalidTeam();
    return choice.team_id;
  }
}

function invalidTeam(): AppError {
  return AppError.badRequest(
    'api.shared_channel.invitation.invalid_team.app_error',
    'That team cannot hold the channel: choose one of the teams in the menu that you belong to.',
  );
}

/** The values of the destination menu in a review post's props. */
function menuOptions(props: Record<string, unknown>): string[] {
  const attachments = Array.isArray(props?.attachments) ? (props.attachments as { actions?: unknown }[]) : [];
  for (const attachment of attachments) {
    const actions = Array.isArray(attachment?.actions) ? (attachment.actions as { id?: unknown; options?: unknown }[]) : [];
    const menu = actions.find((a) => a?.id === InvitationReviewAction.ChooseTeam);
    if (menu && Array.isArray(menu.options)) return (menu.options as { value?: unknown }[]).map((o) => String(o?.value ?? ''));
  }
  return [];
}
