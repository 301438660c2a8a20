import { Controller, Delete, Get, HttpCode, Param, Put, Query, UsePipes } from '@nestjs/common';
import { ThreadsJson } from '@fedchat/chat';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser } from '../auth/auth.guard';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import { OkJson } from '../users/users.dto';
import { ThreadJson, ThreadQueryDto, ThreadsJsonSchema, ThreadsQueryDto } from './threads.dto';
import { ThreadsService } from './threads.service';

const OK = { status: 'OK' };

/** Collapsed threads (Mattermost's /users/{id}/teams/{team_id}/threads routes). */
@ApiTags('threads')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4/users/:user_id/teams/:team_id/threads')
export class ThreadsController {
  constructor(private readonly threads: ThreadsService) {}

  /** The threads the user follows, newest reply first, with the totals of unread threads and mentions. */
  @Get()
  @ApiOkResponse({ type: ThreadsJsonSchema })
  async list(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Query() q: ThreadsQueryDto,
  ): Promise<ThreadsJson> {
    return this.threads.list(caller, userId, teamId, {
      pageSize: q.per_page,
      since: q.since,
      before: q.before,
      after: q.after,
      unread: q.unread,
      extended: q.extended,
      totalsOnly: q.totalsOnly,
      threadsOnly: q.threadsOnly,
      excludeDirect: q.excludeDirect,
    });
  }

  /** Marks every followed thread read; event `thread_read_changed`. */
  @Put('read')
  @ApiOkResponse({ type: OkJson })
  async markAllRead(@CurrentUser() caller: User, @UserIdParam() userId: string, @Param('team_id') teamId: string): Promise<typeof OK> {
    await this.threads.markAllRead(caller, userId, teamId);
    return OK;
  }

  @Get(':thread_id')
  @ApiOkResponse({ type: ThreadJson })
  async get(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Param('thread_id') threadId: string,
    @Query() q: ThreadQueryDto,
  ): Promise<Record<string, unknown>> {
    return this.threads.get(caller, userId, teamId, threadId, q.extended);
  }

  /** Marks the thread read up to `timestamp` (earlier: unread from there); event `thread_read_changed`. */
  @Put(':thread_id/read/:timestamp')
  @ApiOkResponse({ type: ThreadJson })
  async markRead(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Param('thread_id') threadId: string,
    @Param('timestamp') timestamp: string,
  ): Promise<Record<string, unknown>> {
    return this.threads.markRead(caller, userId, teamId, threadId, timestamp);
  }

  /** Follows the thread; event `thread_follow_changed`. */
  @Put(':thread_id/following')
  @ApiOkResponse({ type: OkJson })
  async follow(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Param('thread_id') threadId: string,
  ): Promise<typeof OK> {
    await this.threads.setFollowing(caller, userId, teamId, threadId, true);
    return OK;
  }

  /** Stops following the thread; event `thread_follow_changed`. */
  @Delete(':thread_id/following')
  @HttpCode(200)
  @ApiOkResponse({ type: OkJson })
  async unfollow(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Param('thread_id') threadId: string,
  ): Promise<typeof OK> {
    await this.threads.setFollowing(caller, userId, teamId, threadId, false);
    return OK;
  }
}
