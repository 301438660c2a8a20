import { Inject, Injectable, Logger } from '@nestjs/common';
import { hasPermission, Permission, UserUpdatedEvents } from '@fedchat/chat';
import { InjectRepository } from '@nestjs/typeorm';
import {
  APP_CONFIG,
  AppConfig,
  AppError,
  Bus,
  detectImageFormat,
  FILE_STORE,
  FileStore,
  FileReceiveErrorReason,
  fileReceiveMetrics,
  FileTooLargeError,
  ImageFormat,
  PROFILE_IMAGE_CONTENT_TYPES,
  profileImagePath,
} from '@fedchat/common';
import { UserPictureChangedEvent } from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import { User } from '@fedchat/models';
import type { Request } from 'express';
import { Readable } from 'node:stream';
import { Repository } from 'typeorm';
import { AuthService } from '../auth/auth.service';
import { invalidUrlParam } from '../http/user-id-param';
import { encodeProfileImage, ImageDecodeError, ImageTooLargeError } from './images';
import { badMultipart, isMultipart, multipartParts } from './multipart';

/** Largest profile picture accepted, whatever MaxFileSize says. */
export const MAX_PROFILE_IMAGE_BYTES = 50 * 1024 * 1024;
const PARSE_ID = 'api.user.upload_profile_user.parse.app_error';
const EXTENSIONS: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', gif: 'gif' };
const CONTENT_TYPES = PROFILE_IMAGE_CONTENT_TYPES;

export { profileImagePath };

function tooLarge(maxBytes: number): AppError {
  return new AppError(
    'api.user.upload_profile_user.too_large.app_error',
    `Unable to upload profile image. File is larger than ${maxBytes} bytes.`,
    413,
  );
}

/** The metric reason of a refused remote picture. */
function refusalReason(err: unknown): FileReceiveErrorReason {
  const status = err instanceof AppError ? err.getStatus() : 500;
  if (status === 413) return 'too_large';
  if (status === 401) return 'not_owner';
  if (status === 400) return err instanceof AppError && err.errorId === 'api.context.invalid_url_param.app_error' ? 'invalid' : 'bad_image';
  return 'store';
}

function overPixelLimit(err: ImageTooLargeError): AppError {
  return new AppError(
    'api.user.upload_profile_user.check_image_limits.app_error',
    `Unable to upload profile image. The image is larger than ${err.maxPixels} pixels.`,
    400,
    err.message,
  );
}

function undecodable(detail: string): AppError {
  return new AppError('api.user.upload_profile_user.decode.app_error', 'Unable to decode profile image.', 400, detail);
}

export interface StoredProfileImage {
  path: string;
  contentType: string;
}

/**
 * Reads at least `n` bytes of a paused stream and puts them back, so that the stream still yields everything.
 * Returns fewer bytes only when the stream ends first (it is then used up).
 */
export function peekBytes(stream: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed || stream.errored) {
      reject(stream.errored ?? new Error('the stream was closed'));
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    const done = (err?: Error, ended = false) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err) return reject(err);
      const head = Buffer.concat(chunks);
      if (!ended && head.length > 0) stream.unshift(head);
      resolve(head);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while (length < n && (chunk = stream.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        length += chunk.length;
      }
      if (length >= n) done();
    };
    const onEnd = () => done(undefined, true);
    const onError = (err: Error) => done(err);
    const onClose = () => done(stream.errored ?? new Error('the stream was closed'));
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * Reads a stream whole, up to `maxBytes` (a picture is decoded from memory, as Mattermost does); more is
 * FileTooLargeError.
 */
async function readAtMost(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length > maxBytes) {
      stream.destroy();
      throw new FileTooLargeError(maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Profile pictures: decoded and stored as Mattermost stores them, a 128×128 PNG under `users/<id>/profile.png`
 * (pictures kept before that may still be `.jpg` or `.gif` and are served as they are); a generated one when none is set.
 */
@Injectable()
export class ProfileImageService {
  private readonly logger = new Logger(ProfileImageService.name);
  private readonly receiveMetrics = fileReceiveMetrics();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FILE_STORE) readonly store: FileStore,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly userUpdated: UserUpdatedEvents,
    private readonly bus: Bus,
    private readonly auth: AuthService,
  ) {}

  /** `userId` comes resolved and checked by @UserIdParam(). */
  async userOrThrow(caller: User, userId: string): Promise<User> {
    const user = userId === caller.id ? caller : await this.users.findOneBy({ id: userId });
    if (!user) throw AppError.notFound('user', 'app.user.missing_account.const');
    return user;
  }

  /** The stored picture, if the user has set one and it is still there. */
  async storedImage(user: User): Promise<StoredProfileImage | undefined> {
    if (!(user.last_picture_update > 0)) return undefined;
    for (const ext of Object.values(EXTENSIONS)) {
      const path = profileImagePath(user.id, ext);
      if (await this.store.exists(path)) return { path, contentType: CONTENT_TYPES[ext] };
    }
    return undefined;
  }

  /** Self or someone allowed to edit other users (system admins), as Mattermost checks it. */
  private async editableUser(caller: User, userId: string): Promise<User> {
    if (userId !== caller.id && !hasPermission(caller.roles, Permission.EditOtherUsers))
      throw AppError.forbidden(Permission.EditOtherUsers);
    const user = userId === caller.id ? caller : await this.users.findOneBy({ id: userId });
    if (!user) throw invalidUrlParam('user_id');
    return user;
  }

  /** `POST /users/{id}/image`: the first `image` file part, PNG, JPEG or GIF by its magic bytes. */
  async upload(caller: User, userId: string, req: Request): Promise<void> {
    const user = await this.editableUser(caller, userId);
    const maxBytes = Math.min(MAX_PROFILE_IMAGE_BYTES, this.config.files.maxFileSize);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) throw tooLarge(maxBytes);
    await this.storeImage(user, req, maxBytes);
  }

  /**
   * `POST /remotecluster/{user_id}/image` (protocol §3.2, §5.13): a peer sets the picture of one of its own users.
   * Like a local change: decoded and re-encoded the same way (same place, same event), so that a peer can leave
   * neither a picture no client can show nor one of any size.
   */
  async uploadFromRemote(remoteId: string, userId: string, req: Request): Promise<void> {
    try {
      await this.storeRemoteImage(remoteId, userId, req);
      this.receiveMetrics.files.inc({ remote_id: remoteId });
    } catch (err) {
      this.receiveMetrics.errors.inc({ remote_id: remoteId, reason: refusalReason(err) });
      this.logger.warn({ remoteId, userId, err: (err as Error).message }, 'profile image from remote refused');
      throw err;
    }
  }

  private async storeRemoteImage(remoteId: string, userId: string, req: Request): Promise<void> {
    const maxBytes = Math.min(MAX_PROFILE_IMAGE_BYTES, this.config.files.maxFileSize);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.config.files.maxFileSize) throw tooLarge(this.config.files.maxFileSize);
    const user = isValidId(userId) ? await this.users.findOneBy({ id: userId }) : null;
    if (!user || user.remote_id === '') throw invalidUrlParam('user_id');
    if (user.remote_id !== remoteId) {
      throw AppError.unauthorized('api.context.remote_id_mismatch.app_error', 'The user does not belong to the authenticated remote.');
    }
    await this.storeImage(user, req, maxBytes);
  }

  /** Stores the first `image` file part, re-encoded, as the user's picture (replacing the others) and announces the change. */
  private async storeImage(user: User, req: Request, maxBytes: number): Promise<void> {
    if (!isMultipart(req)) throw badMultipart(PARSE_ID, 'expected a multipart/form-data body');
    let picture: Buffer | undefined;
    for await (const part of multipartParts(req, PARSE_ID)) {
      if (part.kind !== 'file' || part.name !== 'image') continue; // other parts are skipped, as Mattermost does
      const head = await peekBytes(part.stream, 16).catch((err: Error) => {
        throw badMultipart(PARSE_ID, err.message);
      });
      const format = head.length >= 16 ? detectImageFormat(head) : undefined; // shorter: no real image, and used up
      if (!format) throw undecodable('not a PNG, JPEG or GIF image');
      const upload = await readAtMost(part.stream, maxBytes).catch((err: Error) => {
        if (err instanceof FileTooLargeError) throw tooLarge(maxBytes);
        throw badMultipart(PARSE_ID, err.message);
      });
      picture = await encodeProfileImage(upload, this.config.files.maxImageResolution).catch((err: Error) => {
        if (err instanceof ImageTooLargeError) throw overPixelLimit(err);
        if (err instanceof ImageDecodeError) throw undecodable(err.message);
        throw err;
      });
      break; // the picture is complete; the rest of the body is drained
    }
    if (!picture) throw new AppError('api.user.upload_profile_user.no_file.app_error', 'No file under "image" in request.', 400);
    await this.store.writeStream(profileImagePath(user.id, EXTENSIONS.png), Readable.from([picture]), { maxBytes: picture.length });
    await this.removeStored(user.id, EXTENSIONS.png);
    await this.pictureChanged(user, Date.now());
  }

  /** `DELETE /users/{id}/image`: back to the generated picture (Mattermost resets last_picture_update to 0). */
  async reset(caller: User, userId: string): Promise<void> {
    const user = await this.editableUser(caller, userId);
    await this.removeStored(user.id);
    await this.pictureChanged(user, 0);
  }

  private async removeStored(userId: string, keep?: string): Promise<void> {
    for (const ext of Object.values(EXTENSIONS)) {
      if (ext === keep) continue;
      await this.store
        .remove(profileImagePath(userId, ext))
        .catch((err: unknown) => this.logger.warn(`could not remove a profile image: ${String(err)}`));
    }
  }

  private async pictureChanged(user: User, lastPictureUpdate: number): Promise<void> {
    const now = Date.now();
    await this.users.update({ id: user.id }, { last_picture_update: lastPictureUpdate, update_at: now });
    this.auth.changed(user.id);
    const updated =
      (await this.users.findOneBy({ id: user.id })) ?? Object.assign(user, { last_picture_update: lastPictureUpdate, update_at: now });
    await this.userUpdated.publish(updated);
    // Remotes sharing a channel with a local user get the new picture (file-transfer also finds it by polling).
    if (lastPictureUpdate > 0 && updated.remote_id === '') this.bus.emit(UserPictureChangedEvent, { user_id: updated.id });
  }
}
