import { Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.guard';
import { UserIdParam } from '../http/user-id-param';
import { sendBuffer, sendStoredFile } from './file-response';
import { StatusOkJson } from './files.dto';
import { defaultProfileImage } from './png';
import { ProfileImageService } from './profile-image.service';

const OK = { status: 'OK' };
const DAY_SECONDS = 24 * 60 * 60;

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/v4/users')
export class ProfileImageController {
  constructor(private readonly images: ProfileImageService) {}

  @Get(':user_id/image')
  @ApiOperation({
    summary: "A user's profile picture",
    description: 'The picture the user set, else a generated one. `_` (the last_picture_update) only busts caches.',
  })
  @ApiQuery({ name: '_', required: false })
  @ApiProduces('image/png', 'image/jpeg', 'image/gif')
  @ApiOkResponse({ description: 'The image' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async get(@CurrentUser() caller: User, @UserIdParam() userId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const user = await this.images.userOrThrow(caller, userId);
    const stored = await this.images.storedImage(user);
    if (stored) {
      await sendStoredFile(this.images.store, req, res, {
        path: stored.path,
        name: `profile.${stored.contentType.slice('image/'.length)}`,
        contentType: stored.contentType,
        modifiedAt: user.last_picture_update,
        cacheControl: `max-age=${DAY_SECONDS}, private`,
        etag: String(user.last_picture_update),
      });
      return;
    }
    // As Mattermost: the generated picture is cached briefly, so that a newly set one shows up soon.
    sendBuffer(req, res, defaultProfileImage(user.id), 'image/png', {
      'Cache-Control': 'max-age=300, private',
      'Last-Modified': new Date(Math.floor(user.create_at / 1000) * 1000).toUTCString(),
    });
  }

  @Get(':user_id/image/default')
  @ApiOperation({ summary: "A user's generated default profile picture" })
  @ApiProduces('image/png')
  @ApiOkResponse({ description: 'The image' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async getDefault(@CurrentUser() caller: User, @UserIdParam() userId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const user = await this.images.userOrThrow(caller, userId);
    sendBuffer(req, res, defaultProfileImage(user.id), 'image/png', {
      'Cache-Control': `max-age=${DAY_SECONDS}, private`,
      'Last-Modified': new Date(Math.floor(user.create_at / 1000) * 1000).toUTCString(),
    });
  }

  @Post(':user_id/image')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set a profile picture',
    description: 'Self, or a system admin. PNG, JPEG or GIF, at most 50 MiB (or MaxFileSize).',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { image: { type: 'string', format: 'binary' } }, required: ['image'] } })
  @ApiOkResponse({ type: StatusOkJson })
  @ApiBadRequestResponse({ description: 'No image, not an image, or a bad multipart body' })
  @ApiForbiddenResponse({ description: "Another user's picture, without permission" })
  @ApiPayloadTooLargeResponse({ description: 'The image is too large' })
  async set(@CurrentUser() caller: User, @UserIdParam() userId: string, @Req() req: Request): Promise<typeof OK> {
    await this.images.upload(caller, userId, req);
    return OK;
  }

  @Delete(':user_id/image')
  @ApiOperation({ summary: 'Go back to the generated profile picture' })
  @ApiOkResponse({ type: StatusOkJson })
  @ApiForbiddenResponse({ description: "Another user's picture, without permission" })
  async reset(@CurrentUser() caller: User, @UserIdParam() userId: string): Promise<typeof OK> {
    await this.images.reset(caller, userId);
    return OK;
  }
}
