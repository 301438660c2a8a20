import { Body, Controller, HttpCode, Param, Post as HttpPost, UsePipes } from '@nestjs/common';
import { ChannelAccess, hasPermission, Permission, SystemPosts } from '@fedchat/chat';
import { AppError, Bus } from '@fedchat/common';
import { INVITATION_REVIEW_INTEGRATION_URL, InvitationPostAction, InvitationReviewAction } from '@fedchat/contracts';
import { isValidId, newId } from '@fedchat/crypto';
import { Channel, Post, type User } from '@fedchat/models';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CurrentUser } from '../auth/auth.guard';
import { apiValidationPipe } from '../http/validation';
import { DoPostActionBody, PostActionResponseJson } from './post-actions.dto';

/** Mattermost's action ids: letters and digits (its route pattern). */
const ACTION_ID = /^[A-Za-z0-9]{1,64}$/;

const REVIEW_ACTION_IDS: readonly string[] = Object.values(InvitationReviewAction);

function integrationError(detail: string): AppError {
  return new AppError('api.post.do_action.action_integration.app_error', `Unable to perform the action: ${detail}.`, 400);
}

interface ActionIntegration {
  url?: unknown;
}

/** The action `actionId` of a post's message attachments, as Mattermost's `Post.GetAction` finds it. */
function findAction(props: Record<string, unknown>, actionId: string): { integration?: ActionIntegration } | undefined {
  const attachments = Array.isArray(props?.attachments) ? (props.attachments as { actions?: unknown }[]) : [];
  for (const attachment of attachments) {
    if (!attachment || !Array.isArray(attachment.actions)) continue;
    for (const action of attachment.actions as { id?: unknown; integration?: ActionIntegration }[]) {
      if (action && typeof action === 'object' && action.id === actionId) return action;
    }
  }
  return undefined;
}

/**
 * `POST /api/v4/posts/{post_id}/actions/{action_id}`: Mattermost's DoPostAction, which the webapp and the mobile
 * app call when a user clicks a button or picks from a menu of a message attachment. The suite calls no outgoing
 * integration: only its own (the system bot's review posts about shared channel invitations, answered by the
 * shared-channel-sync app over the bus) is performed; any other is refused with Mattermost's integration error.
 */
@ApiTags('posts')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4/posts')
export class PostActionsController {
  constructor(
    private readonly bus: Bus,
    private readonly access: ChannelAccess,
    private readonly systemPosts: SystemPosts,
    @InjectRepository(Post) private readonly posts: Repository<Post>,
    @InjectRepository(Channel) private readonly channels: Repository<Channel>,
  ) {}

  @HttpPost(':post_id/actions/:action_id')
  @HttpCode(200)
  @ApiOkResponse({ type: PostActionResponseJson })
  async doPostAction(
    @CurrentUser() user: User,
    @Param('post_id') postId: string,
    @Param('action_id') actionId: string,
    @Body() body: DoPostActionBody,
  ): Promise<PostActionResponseJson> {
    if (!isValidId(postId)) throw AppError.invalidParam('post_id');
    if (!ACTION_ID.test(actionId)) throw AppError.invalidParam('action_id');

    // As Mattermost: read access to the post's channel first (403, whether the post is missing or not visible).
    const found = await this.posts.findOneBy({ id: postId });
    const post = found && found.delete_at === 0 ? found : null;
    const channel = post ? await this.channels.findOneBy({ id: post.channel_id }) : null;
    if (!post || !channel || !(await this.access.canRead(user, channel))) {
      if (!post && hasPermission(user.roles, Permission.ReadAnyChannel)) {
        // Mattermost would decrypt the cookie of an ephemeral post here; the suite never hands one out.
        if (body.cookie) throw integrationError('invalid action cookie');
        throw AppError.notFound('post');
      }
      throw AppError.forbidden('read_channel');
    }

    const action = findAction(post.props, actionId);
    const bot = await this.systemPosts.systemBot();
    if (action?.integration) {
      if (action.integration.url !== INVITATION_REVIEW_INTEGRATION_URL || post.user_id !== bot.id) {
        throw integrationError('this server does not call outgoing integrations');
      }
    } else if (!(post.user_id === bot.id && REVIEW_ACTION_IDS.includes(actionId))) {
      // A decided review post has no actions left; a click from a client that has not seen the update yet still
      // goes through (above), to be told who decided what.
      throw new AppError('api.post.do_action.action_id.app_error', 'Unable to find the action.', 404);
    }
    // The review post decides a shared channel invitation: the same permission as the REST review routes.
    if (!hasPermission(user.roles, Permission.ManageSharedChannels)) throw AppError.forbidden(Permission.ManageSharedChannels);

    await this.bus.request(InvitationPostAction, {
      actor_id: user.id,
      post_id: post.id,
      action_id: actionId,
      ...(body.selected_option !== undefined ? { selected_option: body.selected_option } : {}),
    });
    return { status: 'OK', trigger_id: newId() };
  }
}
