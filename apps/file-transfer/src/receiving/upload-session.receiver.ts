import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, attachmentPath, FileReceiveErrorReason, fileReceiveMetrics, sanitizeFileName } from '@fedchat/common';
import { PeerResponse } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { FileInfo, isUniqueViolation, SharedChannelRemote, UploadSession, User } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { toUploadSessionJson, UploadSessionWireSchema } from '../upload-session.wire';

/** A refusal: Mattermost's error id (or ours where it has none), what went wrong, and the metric reason. */
class Refusal {
  constructor(
    readonly errorId: string,
    readonly message: string,
    readonly reason: FileReceiveErrorReason,
  ) {}
}

/**
 * `sharedchannel_upload` from a peer (protocol §4.4): the sender announces a file it will send next. Checked, in
 * order: attachments enabled, the channel shared with the sender, the size within MaxFileSize, the type
 * `attachment`, the user one of the sender's own (stricter than Mattermost), and the requested file id free.
 * The session is keyed by (sender, req_file_id): announcing the same file again answers the stored session with
 * its current offset, which is how an interrupted transfer resumes (and a finished one is not sent twice).
 */
@Injectable()
export class UploadSessionReceiver {
  private readonly log = new Logger('UploadSessionReceiver');
  private readonly metrics = fileReceiveMetrics();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async receive(remoteId: string, payload: Record<string, unknown>): Promise<PeerResponse> {
    try {
      const session = await this.sessionFor(remoteId, payload);
      return { status: 'OK', payload: toUploadSessionJson(session) };
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      this.metrics.errors.inc({ remote_id: remoteId, reason: err.reason });
      this.log.warn({ remoteId, reason: err.reason, err: err.message }, 'upload session refused');
      return { status: 'FAIL', err: `${err.errorId}: ${err.message}` };
    }
  }

  private async sessionFor(remoteId: string, payload: Record<string, unknown>): Promise<UploadSession> {
    const parsed = UploadSessionWireSchema.safeParse(payload);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Refusal('api.upload.create.invalid_session.app_error', `Invalid upload session: ${detail}.`, 'invalid');
    }
    const msg = parsed.data;
    const files = this.config.files;
    if (!files.enableFileAttachments) {
      throw new Refusal(
        'api.file.attachments.disabled.app_error',
        'File attachments are disabled on this server (MM_FILESETTINGS_ENABLEFILEATTACHMENTS); status 501.',
        'disabled',
      );
    }
    const shared = await this.dataSource
      .getRepository(SharedChannelRemote)
      .existsBy({ channel_id: msg.channel_id, remote_id: remoteId, delete_at: 0, is_invite_confirmed: true });
    if (!shared) {
      throw new Refusal(
        'api.upload.create.upload_channel_not_shared_with_remote.app_error',
        `Channel ${msg.channel_id} is not shared with this remote; status 400.`,
        'not_shared',
      );
    }
    if (msg.file_size > files.maxFileSize) {
      throw new Refusal(
        'api.upload.create.upload_too_large.app_error',
        `The file is ${msg.file_size} bytes, more than the limit of ${files.maxFileSize} bytes; status 413.`,
        'too_large',
      );
    }
    if (msg.type !== 'attachment') {
      throw new Refusal(
        'api.upload.invalid_type_for_shared_channel.app_error',
        `Upload type ${JSON.stringify(msg.type)} is not allowed from a remote, only "attachment"; status 400.`,
        'wrong_type',
      );
    }
    const user = await this.dataSource.getRepository(User).findOne({ where: { id: msg.user_id }, select: { id: true, remote_id: true } });
    if (!user || user.remote_id !== remoteId) {
      throw new Refusal(
        'api.context.remote_id_mismatch.app_error',
        `User ${msg.user_id} is not a user of this remote; status 401.`,
        'not_owner',
      );
    }

    const sessions = this.dataSource.getRepository(UploadSession);
    const existing = await sessions.findOneBy({ remote_id: remoteId, req_file_id: msg.req_file_id });
    if (existing) return existing;
    if (await this.dataSource.getRepository(FileInfo).existsBy({ id: msg.req_file_id })) {
      throw new Refusal(
        'api.upload.create.file_id_taken.app_error',
        `File id ${msg.req_file_id} is already taken; status 400.`,
        'file_id_taken',
      );
    }
    const now = Date.now();
    const session: UploadSession = {
      id: newId(),
      type: 'attachment',
      create_at: now,
      update_at: now,
      user_id: msg.user_id,
      channel_id: msg.channel_id,
      filename: sanitizeFileName(msg.filename),
      path: attachmentPath(now, msg.channel_id, msg.user_id, msg.req_file_id, msg.filename),
      file_size: msg.file_size,
      file_offset: 0,
      remote_id: remoteId,
      req_file_id: msg.req_file_id,
      content_digest: msg.content_digest ?? '',
    };
    try {
      await sessions.insert({ ...session });
    } catch (err) {
      // The same announcement twice at once: the one that lost answers the session the other made.
      if (!isUniqueViolation(err)) throw err;
      const winner = await sessions.findOneBy({ remote_id: remoteId, req_file_id: msg.req_file_id });
      if (!winner) throw err;
      return winner;
    }
    this.log.log({ remoteId, sessionId: session.id, fileId: session.req_file_id, size: session.file_size }, 'upload session created');
    return session;
  }
}
