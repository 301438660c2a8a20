import { Body, Controller, Delete, Get, Param, Post, Query, UsePipes } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser, RequirePermission } from '../auth/auth.guard';
import { PageQuery } from '../http/page-query';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import { OkJson } from '../users/users.dto';
import { toTeamMemberJson } from './team.mapper';
import { AddTeamMemberBody, CreateTeamBody, TeamJson, TeamMemberJson } from './teams.dto';
import { TeamsService } from './teams.service';

const OK = { status: 'OK' };

@ApiTags('teams')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

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
