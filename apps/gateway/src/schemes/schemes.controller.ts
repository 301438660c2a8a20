import { Body, Controller, Get, Param, Patch, Post, Put, Query, UsePipes } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/auth.guard';
import { apiValidationPipe } from '../http/validation';
import { OkJson } from '../users/users.dto';
import { CreateSchemeBody, PatchSchemeBody, SchemeJson, SchemeListQuery, TeamSchemeBody, toSchemeJson } from './schemes.dto';
import { SchemesService } from './schemes.service';

const OK = { status: 'OK' };

/** Team override schemes; every route needs manage_system, as Mattermost's (system console) routes do. */
@ApiTags('schemes')
@ApiBearerAuth()
@RequirePermission(Permission.ManageSystem)
@UsePipes(apiValidationPipe)
@Controller('api/v4')
export class SchemesController {
  constructor(private readonly schemes: SchemesService) {}

  @Post('schemes')
  @ApiCreatedResponse({ type: SchemeJson })
  async create(@Body() body: CreateSchemeBody): Promise<SchemeJson> {
    return toSchemeJson(await this.schemes.create(body));
  }

  /** Mattermost's `GET /schemes`: every scheme, newest first, in use by a team or not (the suite has team schemes only). */
  @Get('schemes')
  @ApiOkResponse({ type: [SchemeJson] })
  async list(@Query() query: SchemeListQuery): Promise<SchemeJson[]> {
    return (await this.schemes.list(query.scope ?? '', query.skip, query.take)).map(toSchemeJson);
  }

  @Get('schemes/:scheme_id')
  @ApiOkResponse({ type: SchemeJson })
  async get(@Param('scheme_id') id: string): Promise<SchemeJson> {
    return toSchemeJson(await this.schemes.get(id));
  }

  @Patch('schemes/:scheme_id/patch')
  @ApiOkResponse({ type: SchemeJson })
  async patch(@Param('scheme_id') id: string, @Body() body: PatchSchemeBody): Promise<SchemeJson> {
    return toSchemeJson(await this.schemes.patch(id, body));
  }

  /** Mattermost's method for the same route (`Client4.patchScheme` sends PUT). */
  @Put('schemes/:scheme_id/patch')
  @ApiOkResponse({ type: SchemeJson })
  async put(@Param('scheme_id') id: string, @Body() body: PatchSchemeBody): Promise<SchemeJson> {
    return this.patch(id, body);
  }

  /** Makes the team's members take their roles from the scheme (`scheme_id: ''`: the built-in roles again). */
  @Put('teams/:team_id/scheme')
  @ApiOkResponse({ type: OkJson })
  async setTeamScheme(@Param('team_id') teamId: string, @Body() body: TeamSchemeBody): Promise<typeof OK> {
    await this.schemes.setTeamScheme(teamId, body.scheme_id);
    return OK;
  }
}
