import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@fedchat/common';

/**
 * The suite has no user groups (no LDAP or custom groups). The webapp still looks up every unknown `@word` of a post
 * as a group name, so the lookup answers as Mattermost does when no group has those names: an empty list.
 */
@ApiTags('groups')
@Controller('api/v4/groups')
export class GroupsController {
  @Post('names')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'array', items: { type: 'string' } } })
  @ApiOkResponse({ schema: { type: 'array', items: { type: 'object' } }, description: 'always empty: there are no groups' })
  byNames(@Body() names: unknown): never[] {
    if (!Array.isArray(names) || names.length > 1000 || !names.every((n) => typeof n === 'string')) throw AppError.invalidParam('names');
    return [];
  }
}
