import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UsePipes } from '@nestjs/common';
import { isSystemAdmin, PER_PAGE_DEFAULT, PER_PAGE_MAX, PostListJson, PostReads, PostsService, WebSocketEvents } from '@fedchat/chat';
import { isValidId, newId } from '@fedchat/crypto';
import { AppError } from '@fedchat/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser } from '../auth/auth.guard';
import { PageQuery } from '../http/page-query';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import { PostSearch } from './post-search.service';
import {
  CreatePostBody,
  EphemeralPostBody,
  PatchPostBody,
  PostJson,
  PostListJsonSchema,
  SearchPostsBody,
  StatusOkJson,
  UpdatePostBody,
} from './posts.dto';

const OK = { status: 'OK' };

/** A non-negative integer query parameter; absent or empty gives the default, anything else malformed is a 400. */
export function intQuery(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,15}$/.test(value)) throw AppError.invalidParam(name);
  return Number(value);
}

/** The thread route's `perPage` (a cursor page size, not `?page=&per_page=`): 1..200, malformed is a 400. */
function threadPerPage(value: string): number {
  return Math.min(PER_PAGE_MAX, Math.max(1, intQuery(value, 'perPage', PER_PAGE_DEFAULT)));
}

function optionalIntQuery(value: string | undefined, name: string): number | undefined {
  return value === undefined || value === '' ? undefined : intQuery(value, name, 0);
}

/** Mattermost's post routes: posts, threads, channel post lists, pinning and search. */
@ApiTags('posts')
@ApiBearerAuth()
@ApiExtraModels(PostJson)
@UsePipes(apiValidationPipe)
@Controller('api/v4')
export class PostsController {
  constructor(
    private readonly posts: PostsService,
    private readonly reads: PostReads,
    private readonly searches: PostSearch,
    private readonly events: WebSocketEvents,
  ) {}

  /**
   * Mattermost's ephemeral post (integrations use it): sent as `ephemeral_message` to `user_id` alone, from the caller,
   * never stored. Needs create_post_ephemeral, which Mattermost's defaults give system admins only.
   */
  @Post('posts/ephemeral')
  @ApiCreatedResponse({ type: PostJson })
  createEphemeral(@CurrentUser() user: User, @Body() body: EphemeralPostBody): Record<string, unknown> {
    if (!isValidId(body.user_id)) throw AppError.invalidParam('user_id');
    if (!isValidId(body.post.channel_id)) throw AppError.invalidParam('post.channel_id');
    if (!isSystemAdmin(user.roles)) throw AppError.forbidden('create_post_ephemeral');
    const now = Date.now();
    const post = {
      id: newId(),
      create_at: now,
      update_at: now,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: user.id,
      channel_id: body.post.channel_id,
      root_id: '',
      original_id: '',
      message: body.post.message,
      type: 'system_ephemeral',
      props: body.post.props ?? {},
      hashtags: '',
      file_ids: [],
      pending_post_id: '',
      remote_id: '',
      reply_count: 0,
      metadata: {},
    };
    this.events.toUser(body.user_id, 'ephemeral_message', { post: JSON.stringify(post) });
    return post;
  }

  @Post('posts')
  @ApiCreatedResponse({ type: PostJson })
  async create(@CurrentUser() user: User, @Body() body: CreatePostBody): Promise<Record<string, unknown>> {
    const { json } = await this.posts.create(user, {
      channel_id: body.channel_id,
      message: body.message,
      root_id: body.root_id,
      file_ids: body.file_ids,
      props: body.props,
      type: body.type,
      priority: body.metadata?.priority,
      pending_post_id: body.pending_post_id,
    });
    return json;
  }

  @Post('posts/ids')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'array', items: { type: 'string' } } })
  @ApiOkResponse({ type: [PostJson] })
  async byIds(@CurrentUser() user: User, @Body() ids: unknown): Promise<Record<string, unknown>[]> {
    return this.reads.byIds(user, ids);
  }

  /** Search across all of the caller's teams. */
  @Post('posts/search')
  @HttpCode(200)
  @ApiOkResponse({ type: PostListJsonSchema })
  async searchAll(@CurrentUser() user: User, @Body() body: SearchPostsBody): Promise<PostListJson> {
    return this.searches.search(user, undefined, searchParams(body));
  }

  @Post('teams/:team_id/posts/search')
  @HttpCode(200)
  @ApiOkResponse({ type: PostListJsonSchema })
  async search(@CurrentUser() user: User, @Param('team_id') teamId: string, @Body() body: SearchPostsBody): Promise<PostListJson> {
    return this.searches.search(user, teamId, searchParams(body));
  }

  @Get('posts/:post_id')
  @ApiQuery({ name: 'include_deleted', required: false, type: Boolean, description: 'System admins only' })
  @ApiOkResponse({ type: PostJson })
  async get(
    @CurrentUser() user: User,
    @Param('post_id') postId: string,
    @Query('include_deleted') includeDeleted?: string,
  ): Promise<Record<string, unknown>> {
    return this.reads.getJson(user, postId, includeDeleted === 'true');
  }

  @Put('posts/:post_id')
  @ApiOkResponse({ type: PostJson })
  async update(
    @CurrentUser() user: User,
    @Param('post_id') postId: string,
    @Body() body: UpdatePostBody,
  ): Promise<Record<string, unknown>> {
    if (body.id !== postId) throw AppError.invalidParam('id');
    return (await this.posts.update(user, postId, changesOf(body))).json;
  }

  @Put('posts/:post_id/patch')
  @ApiOkResponse({ type: PostJson })
  async patch(@CurrentUser() user: User, @Param('post_id') postId: string, @Body() body: PatchPostBody): Promise<Record<string, unknown>> {
    if (body.id !== undefined && body.id !== postId) throw AppError.invalidParam('id');
    return (await this.posts.update(user, postId, changesOf(body))).json;
  }

  @Delete('posts/:post_id')
  @ApiOkResponse({ type: StatusOkJson })
  async delete(@CurrentUser() user: User, @Param('post_id') postId: string): Promise<typeof OK> {
    await this.posts.delete(user, postId);
    return OK;
  }

  @Get('posts/:post_id/thread')
  @ApiQuery({ name: 'perPage', required: false, description: 'Replies per page; without it, the whole thread' })
  @ApiQuery({ name: 'direction', required: false, enum: ['down', 'up'] })
  @ApiQuery({ name: 'fromPost', required: false })
  @ApiQuery({ name: 'fromCreateAt', required: false })
  @ApiOkResponse({ type: PostListJsonSchema })
  async thread(
    @CurrentUser() user: User,
    @Param('post_id') postId: string,
    @Query('perPage') perPage?: string,
    @Query('direction') direction?: string,
    @Query('fromPost') fromPost?: string,
    @Query('fromCreateAt') fromCreateAt?: string,
  ): Promise<PostListJson> {
    if (direction !== undefined && direction !== '' && direction !== 'up' && direction !== 'down') throw AppError.invalidParam('direction');
    return this.reads.thread(user, postId, {
      perPage: perPage === undefined || perPage === '' ? undefined : threadPerPage(perPage),
      direction: direction === 'up' ? 'up' : 'down',
      fromPost: fromPost || undefined,
      fromCreateAt: optionalIntQuery(fromCreateAt, 'fromCreateAt'),
    });
  }

  @Post('posts/:post_id/pin')
  @HttpCode(200)
  @ApiOkResponse({ type: StatusOkJson })
  async pin(@CurrentUser() user: User, @Param('post_id') postId: string): Promise<typeof OK> {
    await this.posts.setPinned(user, postId, true);
    return OK;
  }

  @Post('posts/:post_id/unpin')
  @HttpCode(200)
  @ApiOkResponse({ type: StatusOkJson })
  async unpin(@CurrentUser() user: User, @Param('post_id') postId: string): Promise<typeof OK> {
    await this.posts.setPinned(user, postId, false);
    return OK;
  }

  @Get('channels/:channel_id/posts')
  @ApiQuery({ name: 'since', required: false, description: 'All posts changed at or after this time (ms), deleted ones included' })
  @ApiQuery({ name: 'before', required: false, description: 'Post id' })
  @ApiQuery({ name: 'after', required: false, description: 'Post id' })
  @ApiQuery({ name: 'skipFetchThreads', required: false, type: Boolean })
  @ApiQuery({ name: 'collapsedThreads', required: false, type: Boolean, description: 'Root posts only' })
  @ApiOkResponse({ type: PostListJsonSchema })
  async channelPosts(
    @CurrentUser() user: User,
    @Param('channel_id') channelId: string,
    @Query() paging: PageQuery,
    @Query('since') since?: string,
    @Query('before') before?: string,
    @Query('after') after?: string,
    @Query('skipFetchThreads') skipFetchThreads?: string,
    @Query('collapsedThreads') collapsedThreads?: string,
  ): Promise<PostListJson> {
    return this.reads.channelPosts(user, channelId, {
      page: paging.page,
      perPage: paging.per_page,
      since: optionalIntQuery(since, 'since') || undefined,
      before: before || undefined,
      after: after || undefined,
      skipFetchThreads: skipFetchThreads === 'true',
      collapsedThreads: collapsedThreads === 'true',
    });
  }

  @Get('channels/:channel_id/pinned')
  @ApiOkResponse({ type: PostListJsonSchema })
  async pinned(@CurrentUser() user: User, @Param('channel_id') channelId: string): Promise<PostListJson> {
    return this.reads.pinned(user, channelId);
  }

  @Get('users/:user_id/channels/:channel_id/posts/unread')
  @ApiQuery({ name: 'limit_before', required: false })
  @ApiQuery({ name: 'limit_after', required: false })
  @ApiQuery({ name: 'collapsedThreads', required: false, type: Boolean })
  @ApiOkResponse({ type: PostListJsonSchema })
  async unread(
    @CurrentUser() user: User,
    @UserIdParam() userId: string,
    @Param('channel_id') channelId: string,
    @Query('limit_before') limitBefore?: string,
    @Query('limit_after') limitAfter?: string,
    @Query('collapsedThreads') collapsedThreads?: string,
  ): Promise<PostListJson> {
    if (userId !== user.id) throw AppError.forbidden('read_other_users_posts');
    const before = Math.min(PER_PAGE_MAX, intQuery(limitBefore, 'limit_before', PER_PAGE_DEFAULT));
    const after = Math.min(PER_PAGE_MAX, intQuery(limitAfter, 'limit_after', PER_PAGE_DEFAULT));
    if (after === 0) throw AppError.invalidParam('limit_after');
    return this.reads.aroundLastUnread(user, channelId, before, after, collapsedThreads === 'true');
  }
}

function changesOf(body: PatchPostBody) {
  return { message: body.message, is_pinned: body.is_pinned, props: body.props, file_ids: body.file_ids };
}

function searchParams(body: SearchPostsBody) {
  return {
    terms: body.terms,
    isOrSearch: body.is_or_search,
    timeZoneOffset: body.time_zone_offset,
    includeDeletedChannels: body.include_deleted_channels,
    page: body.page,
    perPage: body.per_page,
  };
}
