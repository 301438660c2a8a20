import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/auth.guard';
import { RoleJson, toRoleJson } from './roles.dto';
import { RolesService } from './roles.service';

/** Roles and their permissions: what Mattermost's apps read to decide what to offer (any signed-in user may read them). */
@ApiTags('roles')
@ApiBearerAuth()
@Controller('api/v4/roles')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  /** Every role (system console); needs manage_system. */
  @Get()
  @RequirePermission(Permission.ManageSystem)
  @ApiOkResponse({ type: [RoleJson] })
  async all(): Promise<RoleJson[]> {
    return (await this.roles.all()).map(toRoleJson);
  }

  @Get('name/:role_name')
  @ApiOkResponse({ type: RoleJson })
  async byName(@Param('role_name') name: string): Promise<RoleJson> {
    return toRoleJson(await this.roles.byName(name));
  }

  /** The roles of the given names that exist; unknown names are left out. */
  @Post('names')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'array', items: { type: 'string' }, example: ['system_user', 'team_user', 'channel_user'] } })
  @ApiOkResponse({ type: [RoleJson] })
  async byNames(@Body() names: unknown): Promise<RoleJson[]> {
    return (await this.roles.byNames(names)).map(toRoleJson);
  }

  /** Replaces a role's permissions (built-in roles included); needs manage_system. */
  @Patch(':role_id/patch')
  @RequirePermission(Permission.ManageSystem)
  @ApiBody({
    schema: { type: 'object', required: ['permissions'], properties: { permissions: { type: 'array', items: { type: 'string' } } } },
  })
  @ApiOkResponse({ type: RoleJson })
  async patch(@Param('role_id') id: string, @Body() body: unknown): Promise<RoleJson> {
    return toRoleJson(await this.roles.patch(id, body));
  }

  /** Mattermost's method for the same route (`Client4.patchRole` sends PUT); PATCH above stays for existing callers. */
  @Put(':role_id/patch')
  @RequirePermission(Permission.ManageSystem)
  @ApiBody({
    schema: { type: 'object', required: ['permissions'], properties: { permissions: { type: 'array', items: { type: 'string' } } } },
  })
  @ApiOkResponse({ type: RoleJson })
  async put(@Param('role_id') id: string, @Body() body: unknown): Promise<RoleJson> {
    return this.patch(id, body);
  }

  @Get(':role_id')
  @ApiOkResponse({ type: RoleJson })
  async byId(@Param('role_id') id: string): Promise<RoleJson> {
    return toRoleJson(await this.roles.byId(id));
  }
}
