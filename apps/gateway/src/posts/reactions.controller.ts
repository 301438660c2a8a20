import { Body, Controller, Delete, Get, HttpCode, Param, Post, UsePipes } from '@nestjs/common';
import { PostsService, toAcknowledgementJson, toReactionJson } from '@fedchat/chat';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser } from '../auth/auth.guard';
import { userIdOrMe, UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import { CreateReactionBody, PostAcknowledgementJson, ReactionJson, StatusOkJson } from './posts.dto';

const OK = { status: 'OK' };

/** Mattermost's reaction and acknowledgement routes. */
@ApiTags('reactions')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4')
export class ReactionsController {
  constructor(private readonly posts: PostsService) {}

  @Post('reactions')
  @ApiCreatedResponse({ type: ReactionJson })
  async add(@CurrentUser() user: User, @Body() body: CreateReactionBody): Promise<Record<string, unknown>> {
    return toReactionJson(await this.posts.addReaction(user, userIdOrMe(user, body.user_id), body.post_id, body.emoji_name));
  }

  @Get('posts/:post_id/reactions')
  @ApiOkResponse({ type: [ReactionJson] })
  async list(@CurrentUser() user: User, @Param('post_id') postId: string): Promise<Record<string, unknown>[]> {
    return (await this.posts.listReactions(user, postId)).map(toReactionJson);
  }

  @Delete('users/:user_id/posts/:post_id/reactions/:emoji_name')
  @ApiOkResponse({ type: StatusOkJson })
  async remove(
    @CurrentUser() user: User,
    @UserIdParam() userId: string,
    @Param('post_id') postId: string,
    @Param('emoji_name') emojiName: string,
  ): Promise<typeof OK> {
    await this.posts.removeReaction(user, userId, postId, emojiName);
    return OK;
  }

  @Post('users/:user_id/posts/:post_id/ack')
  @HttpCode(200)
  @ApiOkResponse({ type: PostAcknowledgementJson })
  async acknowledge(
    @CurrentUser() user: User,
    @UserIdParam() userId: string,
    @Param('post_id') postId: string,
  ): Promise<Record<string, unknown>> {
    return toAcknowledgementJson(await this.posts.acknowledge(user, userId, postId));
  }

  @Delete('users/:user_id/posts/:post_id/ack')
  @ApiOkResponse({ type: StatusOkJson })
  async unacknowledge(@CurrentUser() user: User, @UserIdParam() userId: string, @Param('post_id') postId: string): Promise<typeof OK> {
    await this.posts.unacknowledge(user, userId, postId);
    return OK;
  }
}
