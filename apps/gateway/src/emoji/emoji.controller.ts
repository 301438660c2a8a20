import { Controller, Get, Post } from '@nestjs/common';
import { ApiNotImplementedResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@fedchat/common';

/**
 * Custom emoji are off in this suite (the client config says `EnableCustomEmoji: "false"`). Mattermost answers its
 * emoji routes with 501 `api.emoji.disabled.app_error` then, and the apps fall back to the system emoji.
 */
function disabled(): never {
  throw new AppError('api.emoji.disabled.app_error', 'Custom emoji have been disabled by the system admin.', 501);
}

@ApiTags('emoji')
@Controller('api/v4/emoji')
export class EmojiController {
  @Get()
  @ApiNotImplementedResponse({ description: 'custom emoji are disabled' })
  list(): never {
    return disabled();
  }

  @Get('name/:emoji_name')
  @ApiNotImplementedResponse({ description: 'custom emoji are disabled' })
  byName(): never {
    return disabled();
  }

  @Post('names')
  @ApiNotImplementedResponse({ description: 'custom emoji are disabled' })
  byNames(): never {
    return disabled();
  }

  @Post('search')
  @ApiNotImplementedResponse({ description: 'custom emoji are disabled' })
  search(): never {
    return disabled();
  }

  @Get('autocomplete')
  @ApiNotImplementedResponse({ description: 'custom emoji are disabled' })
  autocomplete(): never {
    return disabled();
  }

  @Get(':emoji_id')
  @ApiNotImplementedResponse({ description: 'custom emoji are disabled' })
  get(): never {
    return disabled();
  }
}
