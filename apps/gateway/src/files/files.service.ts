import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChannelAccess, hasPermission, Permission } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  APP_CONFIG,
  AppConfig,
  attachmentPath,
  FILE_STORE,
  FileStore,
  FileTooLargeError,
  fileExtension,
  mimeTypeForExtension,
  readImageInfo,
  sanitizeFileName,
} from '@fedchat/common';
import { isValidId, newId } from '@fedchat/crypto';
import { FileInfo, Post, User } from '@fedchat/models';
import type { Request } from 'express';
import { pipeline, Transform, TransformCallback } from 'node:stream';
import { Repository } from 'typeorm';
import { invalidUrlParam } from '../http/user-id-param';
import { FileInfoJson, FileUploadResponseJson, toFileInfoJson } from './files.dto';
import { badMultipart, isMultipart, MultipartFile, multipartParts } from './multipart';

/** Files per upload request (the Mattermost clients' limit; a post holds at most 10 files). */
export const MAX_FILES_PER_UPLOAD = 10;
/** How much of each upload is kept in memory to read image dimensions (a JPEG's size follows its metadata). */
const HEAD_BYTES = 512 * 1024;
const READ_REQUEST = 'api.file.upload_file.read_request.app_error';

/** Passes data through, keeping a copy of the first `limit` bytes. */
class HeadCapture extends Transform {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.bytes < this.limit) {
      const part = Buffer.from(chunk.subarray(0, this.limit - this.bytes));
      this.chunks.push(part);
      this.bytes += part.length;
    }
    callback(null, chunk);
  }

  get head(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Uploads (`POST /files`), file infos, and who may read a file. */
@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FILE_STORE) readonly store: FileStore,
    @InjectRepository(FileInfo) private readonly fileInfos: Repository<FileInfo>,
    @InjectRepository(Post) private readonly posts: Repository<Post>,
    private readonly access: ChannelAccess,
  ) {}

  /**
   * Mattermost's streamed multipart upload: `channel_id` (form field before the files, or query parameter), optional
   * `client_ids` (one per file, before each file), then file parts. Each file goes straight to the store; the
   * FileInfo rows are written together at the end, so a request that fails anywhere leaves neither rows nor files.
   */
  async upload(user: User, req: Request, queryChannelId: string | undefined): Promise<FileUploadResponseJson> {
    if (!this.config.files.enableFileAttachments) {
      throw new AppError('api.file.attachments.disabled.app_error', 'File attachments have been disabled on this server.', 403);
    }
    if (req.headers['content-length'] === '0') throw badMultipart(READ_REQUEST, 'Content-Length should not be 0');
    if (!isMultipart(req)) throw badMultipart(READ_REQUEST, 'expected a multipart/form-data body');

    let channelId = queryChannelId ?? '';
    const clientIds: string[] = [];
    let expectClientIds = true;
    const stored: FileInfo[] = [];
    const timestamp = Date.now();
    try {
      for await (const part of multipartParts(req, READ_REQUEST)) {
        if (part.kind === 'field') {
          if (part.name === 'channel_id') {
            if (channelId && part.value !== channelId) {
              throw new AppError(
                'api.file.upload_file.multiple_channel_ids.app_error',
                'Unable to upload files: more than one channel id.',
                400,
              );
            }
            if (part.value) channelId = part.value;
          } else if (part.name === 'client_ids') {
            if (!expectClientIds) throw AppError.invalidParam('client_ids');
            clientIds.push(part.value);
          } else {
            throw AppError.invalidParam(part.name);
          }
          continue;
        }
        if (stored.length === 0) {
          if (!channelId) throw AppError.invalidParam('channel_id');
          await this.access.requireWrite(user, channelId);
          if (clientIds.length === 0) expectClientIds = false; // none before the first file: none at all
        }
        if (stored.length >= MAX_FILES_PER_UPLOAD) {
          throw new AppError(
            'api.file.upload_file.too_many_files.app_error',
            `Unable to upload more than ${MAX_FILES_PER_UPLOAD} files at once.`,
            400,
          );
        }
        if (expectClientIds && stored.length >= clientIds.length) throw AppError.invalidParam('client_ids');
        stored.push(await this.storeUpload(user, channelId, part, timestamp));
      }
      if (stored.length === 0) {
        throw new AppError('api.file.upload_file.no_file.app_error', 'Unable to upload files: no file was sent.', 400);
      }
      if (expectClientIds && clientIds.length !== stored.length) {
        throw new AppError(
          'api.file.upload_file.incorrect_number_of_client_ids.app_error',
          `Unable to upload files: ${clientIds.length} client ids for ${stored.length} files.`,
          400,
        );
      }
      await this.fileInfos.insert(stored.map((info) => ({ ...info }))); // copies: TypeORM writes raw returned defaults back
    } catch (err) {
      await this.discard(stored);
      throw err;
    }
    return { file_infos: stored.map(toFileInfoJson), client_ids: expectClientIds ? clientIds : [] };
  }

  private async storeUpload(user: User, channelId: string, part: MultipartFile, timestamp: number): Promise<FileInfo> {
    const id = newId();
    const name = sanitizeFileName(part.filename);
    const extension = fileExtension(name);
    const mimeType = mimeTypeForExtension(extension);
    const path = attachmentPath(timestamp, channelId, user.id, id, name);
    const maxBytes = this.config.files.maxFileSize;

    let sourceFailed: Error | undefined;
    part.stream.on('error', (err) => (sourceFailed = err));
    const capture = new HeadCapture(mimeType.startsWith('image/') ? HEAD_BYTES : 0);
    const source = pipeline(part.stream, capture, () => undefined);
    let written: { size: number; sha256: string };
    try {
      written = await this.store.writeStream(path, source, { maxBytes });
    } catch (err) {
      if (err instanceof FileTooLargeError) {
        throw new AppError(
          'api.file.upload_file.too_large_detailed.app_error',
          `Unable to upload file ${name}: it is larger than the limit of ${maxBytes} bytes.`,
          413,
          `file_name=${name} limit=${maxBytes}`,
        );
      }
      if (err instanceof AppError) throw err;
      if (sourceFailed || (part.stream.destroyed && !part.stream.readableEnded)) {
        throw badMultipart(READ_REQUEST, sourceFailed?.message ?? 'the request body ended early');
      }
      throw err;
    }
    const image = mimeType.startsWith('image/') ? readImageInfo(capture.head) : undefined;
    return Object.assign(new FileInfo(), {
      id,
      creator_id: user.id,
      post_id: '',
      channel_id: channelId,
      create_at: timestamp,
      update_at: timestamp,
      delete_at: 0,
      path,
      thumbnail_path: '',
      preview_path: '',
      name,
      extension,
      size: written.size,
      mime_type: mimeType,
      width: image?.width ?? 0,
      height: image?.height ?? 0,
      has_preview_image: false,
      mini_preview: null,
      remote_id: '',
      content_digest: written.sha256,
    });
  }

  private async discard(infos: FileInfo[]): Promise<void> {
    for (const info of infos) {
      await this.store.remove(info.path).catch((err: unknown) => this.logger.warn(`could not remove ${info.path}: ${String(err)}`));
    }
  }

  /**
   * The file info if the caller may read the file: its uploader may, whoever can read the channel of the post it
   * is attached to, and system admins (Mattermost's rule). Unknown or deleted: 404; otherwise not allowed: 403.
   */
  async accessibleInfo(user: User, fileId: string): Promise<FileInfo> {
    if (!isValidId(fileId)) throw invalidUrlParam('file_id');
    const info = await this.fileInfos.findOneBy({ id: fileId, delete_at: 0 });
    if (!info) throw AppError.notFound('file info', 'app.file_info.get.app_error');
    if (info.creator_id === user.id) return info;
    if (!(await this.canReadPost(user, info.post_id))) throw AppError.forbidden('read_channel');
    return info;
  }

  async infosForPost(user: User, postId: string): Promise<FileInfoJson[]> {
    if (!isValidId(postId)) throw invalidUrlParam('post_id');
    if (!(await this.canReadPost(user, postId))) throw AppError.forbidden('read_channel');
    const infos = await this.fileInfos.find({ where: { post_id: postId, delete_at: 0 }, order: { create_at: 'ASC', id: 'ASC' } });
    return infos.map(toFileInfoJson);
  }

  private async canReadPost(user: User, postId: string): Promise<boolean> {
    if (hasPermission(user.roles, Permission.ReadAnyChannel)) return true;
    if (!postId) return false;
    const post = await this.posts.findOne({ where: { id: postId }, select: { id: true, channel_id: true } });
    if (!post) return false;
    try {
      return await this.access.canRead(user, await this.access.channelOrThrow(post.channel_id));
    } catch (err) {
      if (err instanceof AppError) return false;
      throw err;
    }
  }
}
