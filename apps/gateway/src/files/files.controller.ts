import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { AppError } from '@fedchat/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.guard';
import { sendStoredFile } from './file-response';
import { FileInfoJson, FileUploadResponseJson, toFileInfoJson } from './files.dto';
import { FilesService, MAX_FILES_PER_UPLOAD } from './files.service';

const truthy = (v: string | undefined) => v === 'true' || v === '1';

@ApiTags('files')
@ApiBearerAuth()
@Controller('api/v4/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload files',
    description:
      `multipart/form-data: \`channel_id\` (before the files, or as a query parameter), optional \`client_ids\` (one per file), ` +
      `then up to ${MAX_FILES_PER_UPLOAD} \`files\` parts. Needs permission to post in the channel.`,
  })
  @ApiConsumes('multipart/form-data')
  @ApiQuery({ name: 'channel_id', required: false })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        channel_id: { type: 'string' },
        client_ids: { type: 'array', items: { type: 'string' } },
        files: { type: 'array', items: { type: 'string', format: 'binary' } },
      },
      required: ['files'],
    },
  })
  @ApiCreatedResponse({ type: FileUploadResponseJson })
  @ApiBadRequestResponse({ description: 'Bad multipart body, missing or invalid channel_id, no files, too many files' })
  @ApiForbiddenResponse({ description: 'No permission to post in the channel, or attachments disabled' })
  @ApiPayloadTooLargeResponse({ description: 'A file is larger than MaxFileSize' })
  async upload(@CurrentUser() user: User, @Req() req: Request, @Query('channel_id') channelId?: string): Promise<FileUploadResponseJson> {
    return this.files.upload(user, req, typeof channelId === 'string' ? channelId : undefined);
  }

  @Get(':file_id')
  @ApiOperation({ summary: 'Download a file', description: 'Supports single byte ranges. `download=1` forces an attachment.' })
  @ApiParam({ name: 'file_id' })
  @ApiQuery({ name: 'download', required: false, type: Boolean })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The file' })
  @ApiForbiddenResponse({ description: 'Not the uploader and cannot read the channel of its post' })
  @ApiNotFoundResponse({ description: 'No such file' })
  async download(
    @CurrentUser() user: User,
    @Param('file_id') fileId: string,
    @Query('download') download: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const info = await this.files.accessibleInfo(user, fileId);
    await sendStoredFile(this.files.store, req, res, {
      path: info.path,
      name: info.name,
      contentType: info.mime_type,
      modifiedAt: info.update_at,
      forceDownload: truthy(download),
    });
  }

  @Get(':file_id/info')
  @ApiParam({ name: 'file_id' })
  @ApiOkResponse({ type: FileInfoJson })
  @ApiForbiddenResponse({ description: 'Not the uploader and cannot read the channel of its post' })
  @ApiNotFoundResponse({ description: 'No such file' })
  async info(
    @CurrentUser() user: User,
    @Param('file_id') fileId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<FileInfoJson> {
    const info = await this.files.accessibleInfo(user, fileId);
    res.setHeader('Cache-Control', 'max-age=2592000, private');
    return toFileInfoJson(info);
  }

  @Get(':file_id/thumbnail')
  @ApiOperation({ summary: "A file's thumbnail (JPEG), once image processing has made one" })
  @ApiParam({ name: 'file_id' })
  @ApiQuery({ name: 'download', required: false, type: Boolean })
  @ApiBadRequestResponse({ description: 'The file has no thumbnail' })
  async thumbnail(
    @CurrentUser() user: User,
    @Param('file_id') fileId: string,
    @Query('download') download: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.sendDerivedImage('thumbnail', user, fileId, download, req, res);
  }

  @Get(':file_id/preview')
  @ApiOperation({ summary: "A file's preview (JPEG), once image processing has made one" })
  @ApiParam({ name: 'file_id' })
  @ApiQuery({ name: 'download', required: false, type: Boolean })
  @ApiBadRequestResponse({ description: 'The file has no preview' })
  async preview(
    @CurrentUser() user: User,
    @Param('file_id') fileId: string,
    @Query('download') download: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.sendDerivedImage('preview', user, fileId, download, req, res);
  }

  /** A thumbnail or preview (JPEG) made by image processing; 400 while there is none, as Mattermost answers. */
  private async sendDerivedImage(
    kind: 'thumbnail' | 'preview',
    user: User,
    fileId: string,
    download: string | undefined,
    req: Request,
    res: Response,
  ): Promise<void> {
    const info = await this.files.accessibleInfo(user, fileId);
    const path = kind === 'thumbnail' ? info.thumbnail_path : info.preview_path;
    if (!path) {
      const [id, message] =
        kind === 'thumbnail'
          ? ['api.file.get_file_thumbnail.no_thumbnail.app_error', 'File doesn’t have a thumbnail image.']
          : ['api.file.get_file_preview.no_preview.app_error', 'File doesn’t have a preview image.'];
      throw new AppError(id, message, 400, `file_id=${info.id}`);
    }
    await sendStoredFile(this.files.store, req, res, {
      path,
      name: info.name,
      contentType: 'image/jpeg',
      modifiedAt: info.update_at,
      forceDownload: truthy(download),
    });
  }

  @Get(':file_id/link')
  @ApiOperation({ summary: 'Public link of a file', description: 'Public links are disabled on this server (Mattermost’s default).' })
  @ApiParam({ name: 'file_id' })
  @ApiForbiddenResponse({ description: 'Public links are disabled' })
  link(): never {
    throw new AppError('api.file.get_public_link.disabled.app_error', 'Public links have been disabled.', 403);
  }
}

@ApiTags('files')
@ApiBearerAuth()
@Controller('api/v4/posts')
export class PostFilesController {
  constructor(private readonly files: FilesService) {}

  @Get(':post_id/files/info')
  @ApiParam({ name: 'post_id' })
  @ApiOkResponse({ type: [FileInfoJson] })
  @ApiForbiddenResponse({ description: 'Cannot read the channel of the post' })
  async infosForPost(@CurrentUser() user: User, @Param('post_id') postId: string): Promise<FileInfoJson[]> {
    return this.files.infosForPost(user, postId);
  }
}
