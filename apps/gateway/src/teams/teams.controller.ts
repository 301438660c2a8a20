import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UsePipes } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser, RequirePermission } from '../auth/auth.guard';
import { SchemeRolesBody } from '../roles/scheme-roles.dto';
import { PageQuery, pageOf, perPageOf } from '../http/page-query';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import { OkJson } from '../users/users.dto';
import { toTeamMemberJson } from './team.mapper';
import {
  AddTeamMemberBody,
  CreateTeamBody,
  SearchTeamsBody,
  TeamJson,
  TeamListWithCountJson,
  TeamMemberJson,
  TeamUnreadJson,
} from './teams.dto';
import { TeamsService } from './teams.service';

const OK = { status: 'OK' };

const TEAMS_OR_COUNTED = {
  schema: { oneOf: [{ type: 'array', items: { $ref: getSchemaPath(TeamJson) } }, { $ref: getSchemaPath(TeamListWithCountJson) }] },
};

@ApiTags('teams')
@ApiBearerAuth()
@ApiExtraModels(TeamListWithCountJson)
@UsePipes(apiValidationPipe)
@Controller('api/v4')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  /** The teams the caller may list (all for system admins, open ones for others), paged; with a count on request. */
  @Get('teams')
  @ApiQuery({ name: 'include_total_count', required: false, type: Boolean })
  @ApiOkResponse(TEAMS_OR_COUNTED)
  async list(
    @CurrentUser() caller: User,
    @Query() paging: PageQuery,
    @Query('include_total_count') includeTotalCount?: string,
  ): Promise<Record<string, unknown>[] | { teams: Record<string, unknown>[]; total_count: number }> {
    const { teams, total } = await this.teams.listVisible(caller, paging.skip, paging.take);
    const json = await this.teams.toJsonFor(caller, teams);
    return includeTotalCount === 'true' ? { teams: json, total_count: total } : json;
  }

  @Post('teams/search')
  @HttpCode(200)
  @ApiOkResponse(TEAMS_OR_COUNTED)
  async search(
    @CurrentUser() caller: User,
    @Body() body: SearchTeamsBody,
  ): Promise<Record<string, unknown>[] | { teams: Record<string, unknown>[]; total_count: number }> {
    const paged = body.page !== undefined && body.per_page !== undefined;
    const page = paged ? pageOf(String(body.page)) : 0;
    const perPage = paged ? perPageOf(String(body.per_page)) : 100;
    const { teams, total } = await this.teams.listVisible(caller, page * perPage, perPage, body.term);
    const json = await this.teams.toJsonFor(caller, teams);
    return paged ? { teams: json, total_count: total } : json;
  }

  /** Unread messages and mentions per team of the user (`me` for the caller), but `exclude_team`. */
  @Get('users/:user_id/teams/unread')
  @ApiQuery({ name: 'exclude_team', required: false })
  @ApiOkResponse({ type: [TeamUnreadJson] })
  async unreadsForUser(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Query('exclude_team') excludeTeam?: string,
  ): Promise<TeamUnreadJson[]> {
    return this.teams.unreadsForUser(caller, userId, typeof excludeTeam === 'string' ? excludeTeam : '');
  }

  /** Creates a team with Town Square and Off-Topic; the creator becomes its admin (needs create_team). */
  @Post('teams')
  @RequirePermission(Permission.CreateTeam)
  @ApiCreatedResponse({ type: TeamJson })
  async create(@CurrentUser() caller: User, @Body() body: CreateTeamBody): Promise<Record<string, unknown>> {
    const team = await this.teams.create(caller, body);
    return (await this.teams.toJsonFor(caller, [team]))[0];
  }

  @Get('teams/name/:name')
  @ApiOkResponse({ type: TeamJson })
  async getByName(@CurrentUser() caller: User, @Param('name') name: string): Promise<Record<string, unknown>> {
    const team = await this.teams.getByName(caller, name);
    return (await this.teams.toJsonFor(caller, [team]))[0];
  }

  @Get('teams/:team_id')
  @ApiOkResponse({ type: TeamJson })
  async get(@CurrentUser() caller: User, @Param('team_id') teamId: string): Promise<Record<string, unknown>> {
    const team = await this.teams.get(caller, teamId);
    return (await this.teams.toJsonFor(caller, [team]))[0];
  }

  /** Teams the user is a member of (`me` for the caller). */
  @Get('users/:user_id/teams')
  @ApiOkResponse({ type: [TeamJson] })
  async teamsForUser(@CurrentUser() caller: User, @UserIdParam() userId: string): Promise<Record<string, unknown>[]> {
    return this.teams.toJsonFor(caller, await this.teams.teamsForUser(caller, userId));
  }

  @Get('users/:user_id/teams/members')
  @ApiOkResponse({ type: [TeamMemberJson] })
  async membershipsForUser(@CurrentUser() caller: User, @UserIdParam() userId: string): Promise<Record<string, unknown>[]> {
    return (await this.teams.membershipsForUser(caller, userId)).map(toTeamMemberJson);
  }

  /** Adds a user to the team and its default channels: team/system admins add anyone, users may join open teams. */
  @Post('teams/:team_id/members')
  @ApiCreatedResponse({ type: TeamMemberJson })
  async addMember(
    @CurrentUser() caller: User,
    @Param('team_id') teamId: string,
    @Body() body: AddTeamMemberBody,
  ): Promise<Record<string, unknown>> {
    return toTeamMemberJson(await this.teams.addMember(caller, teamId, body));
  }

  /** Removes a user from the team (soft delete) and from all of its channels. */
  @Delete('teams/:team_id/members/:user_id')
  @ApiOkResponse({ type: OkJson })
  async removeMember(@CurrentUser() caller: User, @Param('team_id') teamId: string, @UserIdParam() userId: string): Promise<typeof OK> {
    await this.teams.removeMember(caller, teamId, userId);
    return OK;
  }

  @Get('teams/:team_id/members')
  @ApiOkResponse({ type: [TeamMemberJson] })
  async listMembers(
    @CurrentUser() caller: User,
    @Param('team_id') teamId: string,
    @Query() paging: PageQuery,
  ): Promise<Record<string, unknown>[]> {
    return (await this.teams.listMembers(caller, teamId, paging.skip, paging.take)).map(toTeamMemberJson);
  }

  /** Makes a member a team admin (`scheme_admin: true`) or a plain member; team admins and system admins may. */
  @Put('teams/:team_id/members/:user_id/schemes')
  @ApiOkResponse({ type: OkJson })
  async updateMemberSchemeRoles(
    @CurrentUser() caller: User,
    @Param('team_id') teamId: string,
    @UserIdParam() userId: string,
    @Body() body: SchemeRolesBody,
  ): Promise<typeof OK> {
    await this.teams.updateMemberSchemeRoles(caller, teamId, userId, body);
    return OK;
  }

  @Get('teams/:team_id/members/:user_id')
  @ApiOkResponse({ type: TeamMemberJson })
  async getMember(
    @CurrentUser() caller: User,
    @Param('team_id') teamId: string,
    @UserIdParam() userId: string,
  ): Promise<Record<string, unknown>> {
    return toTeamMemberJson(await this.teams.getMember(caller, teamId, userId));
  }
}
