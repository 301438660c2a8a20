import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser } from '../auth/auth.guard';
import { invalidUrlParam, UserIdParam } from '../http/user-id-param';
import { OkJson } from '../users/users.dto';
import { OrderedSidebarCategoriesJson, SidebarCategoryJson } from './sidebar-categories.dto';
import { isValidCategoryId, SidebarCategoriesService } from './sidebar-categories.service';

const OK = { status: 'OK' };
const CATEGORY_BODY = { schema: { $ref: '#/components/schemas/SidebarCategoryJson' } };
const CATEGORIES_BODY = { schema: { type: 'array', items: { $ref: '#/components/schemas/SidebarCategoryJson' } } } as const;

function categoryIdOf(value: string): string {
  if (!isValidCategoryId(value)) throw invalidUrlParam('category_id');
  return value;
}

/**
 * A user's sidebar categories in a team (Mattermost /api/v4/users/{user_id}/teams/{team_id}/channels/categories):
 * only the user themself, or whoever may edit other users, reads or changes them.
 */
@ApiTags('sidebar categories')
@ApiBearerAuth()
@Controller('api/v4/users/:user_id/teams/:team_id/channels/categories')
export class SidebarCategoriesController {
  constructor(private readonly categories: SidebarCategoriesService) {}

  @Get()
  @ApiOkResponse({ type: OrderedSidebarCategoriesJson })
  async list(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
  ): Promise<OrderedSidebarCategoriesJson> {
    await this.categories.requireAccess(caller, userId, teamId);
    return this.categories.list(userId, teamId);
  }

  /** Creates a custom category (placed first); channels listed in it move there. */
  @Post()
  @HttpCode(200)
  @ApiBody(CATEGORY_BODY)
  @ApiOkResponse({ type: SidebarCategoryJson })
  async create(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Body() body: unknown,
  ): Promise<SidebarCategoryJson> {
    await this.categories.requireAccess(caller, userId, teamId);
    return this.categories.create(userId, teamId, body);
  }

  /** Updates several categories at once (e.g. a channel dragged from one to another). */
  @Put()
  @ApiBody(CATEGORIES_BODY)
  @ApiOkResponse({ type: [SidebarCategoryJson] })
  async update(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Body() body: unknown,
  ): Promise<SidebarCategoryJson[]> {
    await this.categories.requireAccess(caller, userId, teamId);
    return this.categories.update(userId, teamId, body);
  }

  @Get('order')
  @ApiOkResponse({ schema: { type: 'array', items: { type: 'string' } } })
  async order(@CurrentUser() caller: User, @UserIdParam() userId: string, @Param('team_id') teamId: string): Promise<string[]> {
    await this.categories.requireAccess(caller, userId, teamId);
    return this.categories.order(userId, teamId);
  }

  /** The new order: every category id of the user in the team, once. */
  @Put('order')
  @ApiBody({ schema: { type: 'array', items: { type: 'string' } } })
  @ApiOkResponse({ schema: { type: 'array', items: { type: 'string' } } })
  async setOrder(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Body() body: unknown,
  ): Promise<string[]> {
    await this.categories.requireAccess(caller, userId, teamId);
    return this.categories.setOrder(userId, teamId, body);
  }

  @Get(':category_id')
  @ApiOkResponse({ type: SidebarCategoryJson })
  async get(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Param('category_id') categoryId: string,
  ): Promise<SidebarCategoryJson> {
    await this.categories.requireAccess(caller, userId, teamId);
    return this.categories.get(userId, teamId, categoryIdOf(categoryId));
  }

  @Put(':category_id')
  @ApiBody(CATEGORY_BODY)
  @ApiOkResponse({ type: SidebarCategoryJson })
  async updateOne(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Param('category_id') categoryId: string,
    @Body() body: unknown,
  ): Promise<SidebarCategoryJson> {
    await this.categories.requireAccess(caller, userId, teamId);
    return this.categories.updateOne(userId, teamId, categoryIdOf(categoryId), body);
  }

  /** Deletes a custom category; its channels return to their default category. */
  @Delete(':category_id')
  @ApiOkResponse({ type: OkJson })
  async delete(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Param('category_id') categoryId: string,
  ): Promise<typeof OK> {
    await this.categories.requireAccess(caller, userId, teamId);
    await this.categories.delete(userId, teamId, categoryIdOf(categoryId));
    return OK;
  }
}
