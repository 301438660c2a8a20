import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, Bus, FILE_STORE, FileStore, PeerClient, PeerRequestError } from '@fedchat/common';
import { SendToPeer } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { FileInfo, Post, RemoteCluster, SharedChannelRemote } from '@fedchat/models';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { UploadSessionWireSchema } from '../upload-session.wire';
import { ClaimedTransfer, TransferQueue } from './transfer-queue.service';
import { TransferMetrics } from './transfer.metrics';

/** Why an attempt failed, as the errors metric labels it. */
export type FailureReason = 'refused' | 'network' | 'peer' | 'store';

/** The attempt failed; `permanent` when retrying cannot help (the transfer is abandoned). */
export class TransferError extends Error {
  constructor(
    message: string,
    readonly reason: FailureReason,
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

/** The transfer stopped on purpose: shutdown, or the lease was lost. Nothing to judge. */
export class TransferAborted extends Error {}

/** Refusals a peer will repeat whatever we do (protocol §4.4, §3.2): the file cannot go to that remote. */
const PERMANENT = [
  'upload_too_large',
  'too_large',
  'service_not_enabled',
  'invalid_type_for_shared_channel',
  'upload_channel_not_shared_with_remote',
  'file_attachments_disabled',
  'attachments_disabled',
];

const isPermanent = (text: string) => PERMANENT.some((id) => text.includes(id));

/**
 * Sends one file to one remote (protocol §5.12): a `sharedchannel_upload` message opens (or finds) the peer's upload
 * session, then the bytes the peer lacks are streamed from the file store to `/api/v4/remotecluster/upload/{id}`
 * with a Content-Range. A 204 (partial) or a broken attempt asks the peer again where it stands, so an interrupted
 * transfer resumes from the peer's offset instead of starting over.
 */
@Injectable()
export class AttachmentSender {
  private readonly log = new Logger('AttachmentSender');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FILE_STORE) private readonly store: FileStore,
    private readonly bus: Bus,
    private readonly peers: PeerClient,
    private readonly queue: TransferQueue,
    private readonly metrics: TransferMetrics,
  ) {}

  /**
   * Runs the transfer until the peer holds the whole file. Throws TransferError (abandon when permanent, else retry)
   * or TransferAborted when `signal` fires.
   */
  async transfer(t: ClaimedTransfer, signal: AbortSignal): Promise<void> {
    const file = await this.dataSource.getRepository(FileInfo).findOneBy({ id: t.file_id });
    if (!file || file.delete_at > 0) throw new TransferError('the file was deleted', 'refused', true);
    if (t.post_id) {
      const post = await this.dataSource.getRepository(Post).findOneBy({ id: t.post_id });
      if (!post || post.delete_at > 0) throw new TransferError('the post was deleted', 'refused', true);
    }
    if (file.remote_id === t.remote_id) throw new TransferError('the file came from this remote', 'refused', true);
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: t.remote_id, delete_at: 0 });
    if (!rc) throw new TransferError('the connection was removed', 'refused', true);
    const shared = await this.dataSource
      .getRepository(SharedChannelRemote)
      .existsBy({ channel_id: t.channel_id, remote_id: t.remote_id, delete_at: 0 });
    if (!shared) throw new TransferError('the channel is no longer shared with the remote', 'refused', true);

    const digest = file.content_digest || (await this.digest(file));
    let lastOffset = -1;
    for (;;) {
      if (signal.aborted) throw new TransferAborted();
      const session = await this.openSession(t, file, digest);
      if (session.file_offset <= lastOffset) throw new TransferError(`the peer made no progress at offset ${session.file_offset}`, 'peer');
      lastOffset = session.file_offset;
      this.log.log(
        { file_id: file.id, remote_id: t.remote_id, offset: session.file_offset, size: file.size },
        session.file_offset > 0 ? 'resuming file transfer' : 'starting file transfer',
      );
      if (await this.sendBytes(t, file, rc, session.id, session.file_offset, signal)) return;
    }
  }

  /** Step 1: the peer's session for this file (new, or the one it kept with the offset reached). */
  private async openSession(t: ClaimedTransfer, file: FileInfo, digest: string) {
    const payload = {
      id: newId(),
      type: 'attachment',
      create_at: Date.now(),
      user_id: file.creator_id,
      channel_id: t.channel_id,
      filename: file.name,
      file_size: file.size,
      file_offset: 0,
      remote_id: t.remote_id,
      req_file_id: file.id,
      content_digest: digest,
    };
    let answer;
    try {
      answer = await this.bus.request(SendToPeer, { remote_id: t.remote_id, topic: 'sharedchannel_upload', payload });
    } catch (err) {
      throw new TransferError(`upload session: ${err instanceof Error ? err.message : String(err)}`, 'network');
    }
    if (answer.status !== 'OK') {
      const reason = answer.err ?? 'FAIL';
      throw new TransferError(`upload session refused: ${reason}`, isPermanent(reason) ? 'refused' : 'peer', isPermanent(reason));
    }
    const parsed = UploadSessionWireSchema.safeParse(answer.payload ?? {});
    if (!parsed.success || !parsed.data.id || parsed.data.file_size !== file.size || parsed.data.file_offset > file.size) {
      throw new TransferError('the peer answered the upload message without a usable session', 'peer');
    }
    return parsed.data;
  }

  /** Step 2: streams [offset, size) to the peer. True when the peer confirms the whole file, false on 204 (partial). */
  private async sendBytes(
    t: ClaimedTransfer,
    file: FileInfo,
    rc: RemoteCluster,
    sessionId: string,
    offset: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    // With every byte there (an empty file, or a receiver stopped between storing the last segment and finishing),
    // an empty body asks the peer to finish the file and confirm it.
    const remaining = file.size - offset;
    let source: Readable;
    try {
      source = remaining > 0 ? await this.store.readStream(file.path, { start: offset, end: file.size - 1 }) : Readable.from([]);
    } catch (err) {
      throw new TransferError(`reading the file: ${err instanceof Error ? err.message : String(err)}`, 'store');
    }
    let sent = 0;
    const labels = { remote_id: t.remote_id };
    const counted = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        sent += chunk.length;
        this.metrics.sentBytes.inc(labels, chunk.length);
        callback(null, chunk);
      },
    });
    const abort = () => source.destroy(new TransferAborted('transfer stopped'));
    signal.addEventListener('abort', abort, { once: true });
    // A store error ends `counted` too, and so the request.
    pipeline(source, counted).catch(() => undefined);
    let answer;
    try {
      answer = await this.peers.postStream({
        remoteId: rc.remote_id,
        siteUrl: rc.site_url,
        token: rc.remote_token,
        path: `/api/v4/remotecluster/upload/${sessionId}`,
        body: counted,
        contentLength: remaining,
        contentType: 'application/octet-stream',
        headers: remaining > 0 ? { 'Content-Range': `bytes ${offset}-${file.size - 1}/${file.size}` } : {},
        idleTimeoutMs: this.config.fileTransfer.idleTimeoutMs,
        deadlineMs: this.config.fileTransfer.requestTimeoutMs,
      });
    } catch (err) {
      if (signal.aborted) throw new TransferAborted();
      // A large file on a slow link outlasts one request's deadline: what the peer stored is kept, so ask it where it
      // stands and go on from there (the caller's progress check ends it if the peer stored nothing).
      if (err instanceof PeerRequestError && err.deadline) {
        this.log.log({ file_id: file.id, remote_id: t.remote_id, offset, sent }, 'upload request reached its deadline; resuming');
        return false;
      }
      throw new TransferError(`sending bytes from ${offset}: ${err instanceof Error ? err.message : String(err)}`, 'network');
    } finally {
      signal.removeEventListener('abort', abort);
      source.destroy();
      await this.queue.addBytes(t, sent).catch(() => undefined);
    }
    if (answer.status === 204) return false;
    if (answer.status === 200) {
      let info: { id?: unknown };
      try {
        info = JSON.parse(answer.body) as { id?: unknown };
      } catch {
        throw new TransferError('the peer confirmed the upload with invalid JSON', 'peer');
      }
      if (info?.id !== file.id) throw new TransferError('the peer confirmed another file', 'peer');
      return true;
    }
    const permanent = answer.status === 413 || answer.status === 501 || isPermanent(answer.body);
    throw new TransferError(
      `the peer answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`,
      permanent ? 'refused' : 'peer',
      permanent,
    );
  }

  /** SHA-256 of a file stored before digests were recorded; kept for the next time. */
  private async digest(file: FileInfo): Promise<string> {
    const hash = createHash('sha256');
    try {
      await pipeline(await this.store.readStream(file.path), hash);
    } catch (err) {
      throw new TransferError(`reading the file: ${err instanceof Error ? err.message : String(err)}`, 'store');
    }
    const hex = hash.digest('hex');
    await this.dataSource.query(`UPDATE file_infos SET content_digest = $2 WHERE id = $1 AND content_digest = ''`, [file.id, hex]);
    return hex;
  }
}
