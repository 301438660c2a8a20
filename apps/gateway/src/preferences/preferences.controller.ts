import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser } from '../auth/auth.guard';
import { UserIdParam } from '../http/user-id-param';
import { OkJson } from '../users/users.dto';
import { PreferenceJson } from './preferences.dto';
import { PreferencesService } from './preferences.service';

const OK = { status: 'OK' };
const PREFERENCES_BODY = { schema: { type: 'array', items: { $ref: '#/components/schemas/PreferenceJson' } } } as const;

@ApiTags('preferences')
@ApiBearerAuth()
@Controller('api/v4/users/:user_id/preferences')
export class PreferencesController {
  constructor(private readonly preferences: PreferencesService) {}

  @Get()
  @ApiOkResponse({ type: [PreferenceJson] })
  async all(@CurrentUser() caller: User, @UserIdParam() userId: string): Promise<PreferenceJson[]> {
    this.preferences.requireAccess(caller, userId);
    return this.preferences.all(userId);
  }

  /** Saves the preferences (each with the path's `user_id`); answers `preferences_changed` on the user's websockets. */
  @Put()
  @ApiBody(PREFERENCES_BODY)
  @ApiOkResponse({ type: OkJson })
  async save(@CurrentUser() caller: User, @UserIdParam() userId: string, @Body() body: unknown): Promise<typeof OK> {
    this.preferences.requireAccess(caller, userId);
    await this.preferences.save(caller, userId, body);
    return OK;
  }

  /** Deletes the preferences named by user, category and name; answers `preferences_deleted` on the user's websockets. */
  @Post('delete')
  @HttpCode(200)
  @ApiBody(PREFERENCES_BODY)
  @ApiOkResponse({ type: OkJson })
  async delete(@CurrentUser() caller: User, @UserIdParam() userId: string, @Body() body: unknown): Promise<typeof OK> {
    this.preferences.requireAccess(caller, userId);
    await this.preferences.delete(userId, body);
    return OK;
  }

  @Get(':category')
  @ApiOkResponse({ type: [PreferenceJson] })
  async byCategory(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('category') category: string,
  ): Promise<PreferenceJson[]> {
    this.preferences.requireAccess(caller, userId);
    return this.preferences.byCategory(userId, category);
  }

  @Get(':category/name/:preference_name')
  @ApiOkResponse({ type: PreferenceJson })
  async one(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('category') category: string,
    @Param('preference_name') name: string,
  ): Promise<PreferenceJson> {
    this.preferences.requireAccess(caller, userId);
    return this.preferences.one(userId, category, name);
  }
}
