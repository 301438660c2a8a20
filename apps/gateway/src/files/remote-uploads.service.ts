import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  APP_CONFIG,
  AppConfig,
  AppError,
  DigestMismatchError,
  FILE_STORE,
  FileReceiveErrorReason,
  fileReceiveMetrics,
  FileStore,
  fileExtension,
  mimeTypeForExtension,
  MissingPartsError,
  uploadSegmentFolder,
  WriteResult,
} from '@fedchat/common';
import { isValidId } from '@fedchat/crypto';
import { FileInfo, isUniqueViolation, UploadSession } from '@fedchat/models';
import type { Request } from 'express';
import { createHash, Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { Repository } from 'typeorm';
import { makeDerivedImages } from './images';
import { badMultipart, isMultipart, multipartParts } from './multipart';

/** Running SHA-256 states kept for uploads in progress; past this many, the oldest go (their digest is read back). */
const MAX_RUNNING_DIGESTS = 256;
/** Bytes a segment in progress buffers on their way to the store. */
const SEGMENT_BUFFER_BYTES = 1024 * 1024;

/** An AppError that also names its metric reason. */
class UploadRefused extends AppError {
  constructor(
    readonly reason: FileReceiveErrorReason,
    id: string,
    message: string,
    status: number,
  ) {
    super(id, message, status);
  }
}

/** `Content-Range: bytes <start>-<end>/<total>`; undefined when absent, 'invalid' when malformed. */
export function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | 'invalid' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(header.trim());
  if (!m) return 'invalid';
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return end < start || end >= total ? 'invalid' : { start, end, total };
}

/** A segment being written: bytes go into `input`, `written` settles when the store has it (or has failed). */
interface Segment {
  start: number;
  bytes: number;
  input: PassThrough;
  written: Promise<{ size: number }>;
}

/** The SHA-256 of a session's first `offset` bytes, carried from one request to the next. */
interface RunningDigest {
  offset: number;
  hash: Hash;
}

export type RemoteUploadResult = { complete: true; info: FileInfo } | { complete: false; offset: number };

/**
 * `POST /api/v4/remotecluster/upload/{upload_id}` (protocol §3.2, §5.12): the bytes of an attachment a peer announced
 * with `sharedchannel_upload`. The body is streamed, never buffered: it is cut into segments of
 * FILE_TRANSFER_SEGMENT_BYTES written as parts into `uploads/<session>/` (FileStore.writePart), and `file_offset`
 * moves in the database after each stored segment (conditionally: a request on the session from another process
 * loses with 409; in this process a new request supersedes the one before). A body that breaks off loses only its
 * segment in flight, so the sender resumes from `file_offset`. At `file_offset == file_size` the parts become the
 * attachment (FileStore.assembleParts: a rename on local disk, so each byte is written once), checked (size, and
 * the sender's SHA-256 when given: hashed as the bytes arrive, read back only when a restart lost the running
 * state), and only then does the FileInfo (id = the sender's file id) make the file visible.
 */
@Injectable()
export class RemoteUploadsService {
  private readonly log = new Logger('RemoteUploads');
  private readonly metrics = fileReceiveMetrics();
  /** Per session, the request that has its turn (the newest). */
  private readonly turns = new Map<string, { req: Readable; done: Promise<void> }>();
  private readonly digests = new Map<string, RunningDigest>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FILE_STORE) private readonly store: FileStore,
    @InjectRepository(UploadSession) private readonly sessions: Repository<UploadSession>,
    @InjectRepository(FileInfo) private readonly fileInfos: Repository<FileInfo>,
  ) {}

  async receive(remoteId: string, uploadId: string, req: Request): Promise<RemoteUploadResult> {
    try {
      return await this.receiveChecked(remoteId, uploadId, req);
    } catch (err) {
      const reason = err instanceof UploadRefused ? err.reason : 'store';
      this.metrics.errors.inc({ remote_id: remoteId, reason });
      this.log.warn({ remoteId, uploadId, reason, err: err instanceof Error ? err.message : String(err) }, 'upload from remote refused');
      throw err;
    }
  }

  /**
   * Makes `req` the one request writing the session in this process. The sender only sends one at a time, so one
   * still running is a connection it gave up (its body may still be draining): that one is broken off, and this waits
   * until it has stopped writing, so that two requests never write the same parts and a late write can never reach
   * the assembled file. Returns the release for when `req` is done.
   */
  private async takeTurn(sessionId: string, req: Readable): Promise<() => void> {
    const previous = this.turns.get(sessionId);
    let release!: () => void;
    const mine = { req, done: new Promise<void>((resolve) => (release = resolve)) };
    this.turns.set(sessionId, mine);
    if (previous) {
      previous.req.destroy();
      await previous.done;
    }
    return () => {
      release();
      if (this.turns.get(sessionId) === mine) this.turns.delete(sessionId);
    };
  }

  private async receiveChecked(remoteId: string, uploadId: string, req: Request): Promise<RemoteUploadResult> {
    if (!this.config.files.enableFileAttachments) {
      throw new UploadRefused(
        'disabled',
        'api.file.attachments.disabled.app_error',
        'File attachments have been disabled on this server.',
        501,
      );
    }
    if (!isValidId(uploadId)) {
      throw new UploadRefused('no_session', 'api.context.invalid_url_param.app_error', 'Invalid or missing upload_id in request URL.', 400);
    }
    const session = await this.sessions.findOneBy({ id: uploadId });
    if (!session) throw new UploadRefused('no_session', 'app.upload.get.app_error', 'Unable to find the upload session.', 404);
    if (session.remote_id === '' || session.remote_id !== remoteId) {
      throw new UploadRefused(
        'not_owner',
        'api.context.remote_id_mismatch.app_error',
        'The upload session does not belong to the authenticated remote.',
        401,
      );
    }
    const release = await this.takeTurn(uploadId, req);
    try {
      // Read again now that no other request of this process moves it.
      const current = await this.sessions.findOneBy({ id: uploadId });
      if (!current) throw new UploadRefused('no_session', 'app.upload.get.app_error', 'Unable to find the upload session.', 404);
      return await this.receiveInTurn(current, req);
    } finally {
      release();
    }
  }

  private async receiveInTurn(session: UploadSession, req: Request): Promise<RemoteUploadResult> {
    if (session.file_offset >= session.file_size) return { complete: true, info: await this.finish(session) };

    const remaining = session.file_size - session.file_offset;
    const range = parseContentRange(req.headers['content-range']);
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (range === 'invalid') throw this.badRange(`malformed Content-Range ${JSON.stringify(req.headers['content-range'])}`);
    if (range && (range.start !== session.file_offset || range.total !== session.file_size)) {
      throw new UploadRefused(
        'offset_mismatch',
        'api.upload.upload_data.offset_mismatch.app_error',
        `The upload continues at offset ${session.file_offset} of ${session.file_size}, not at ${range.start} of ${range.total}.`,
        400,
      );
    }
    const multipart = isMultipart(req);
    if (range && declared !== undefined && !multipart && declared !== range.end - range.start + 1) {
      throw this.badRange(`Content-Length ${declared} does not match Content-Range ${range.start}-${range.end}`);
    }
    if (declared !== undefined && !multipart && declared > remaining) {
      throw new UploadRefused(
        'too_large',
        'api.upload.upload_data.too_large.app_error',
        `The body has ${declared} bytes but only ${remaining} remain of the file.`,
        413,
      );
    }
    const limit = range ? range.end - range.start + 1 : remaining;
    const offset = multipart ? await this.appendMultipart(session, req, limit) : await this.append(session, req, limit);
    if (offset < session.file_size) return { complete: false, offset };
    return { complete: true, info: await this.finish({ ...session, file_offset: offset }) };
  }

  private badRange(detail: string): UploadRefused {
    return new UploadRefused(
      'offset_mismatch',
      'api.upload.upload_data.invalid_content_range.app_error',
      `Invalid upload range: ${detail}.`,
      400,
    );
  }

  /** Mattermost's alternative body: a multipart form whose file field `data` holds the bytes. */
  private async appendMultipart(session: UploadSession, req: Request, limit: number): Promise<number> {
    const errorId = 'api.upload.upload_data.multipart_error';
    for await (const part of multipartParts(req, errorId)) {
      // Awaited here: leaving the loop ends the multipart parse, and with it the stream being read.
      if (part.kind === 'file' && part.name === 'data') return await this.append(session, part.stream, limit);
    }
    throw badMultipart(errorId, 'no file field "data"');
  }

  /**
   * Streams `source` into segments from the session's offset; returns the offset after the last stored segment.
   * More than `limit` bytes fail the request (400) and keep nothing of the excess; a source that breaks off keeps
   * the segments stored before. A stored segment's offset is recorded in the database while the next segment is
   * already being received (one record at a time, in order), so the body never waits for that round trip.
   */
  private async append(session: UploadSession, source: Readable, limit: number): Promise<number> {
    const segmentBytes = this.config.files.transferSegmentBytes;
    const known = this.digests.get(session.id);
    // Without the state of the bytes before (a restart, or another process took them), assembling reads them back.
    const running =
      session.file_offset === 0 ? createHash('sha256') : known?.offset === session.file_offset ? known.hash.copy() : undefined;
    // The offset recorded so far, and the record in flight (settling with the offset after it).
    let recorded = session.file_offset;
    let recording: Promise<number> | undefined;
    const settleRecording = async () => {
      if (recording) recorded = await recording;
      recording = undefined;
    };
    let offset = session.file_offset;
    let received = 0;
    let segment: Segment | undefined;
    try {
      // destroyOnReturn: false, so that a refusal can still answer on the connection.
      for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        if (received + chunk.length > limit) {
          throw new UploadRefused(
            'too_large',
            'api.upload.upload_data.too_large.app_error',
            `The body holds more than the ${limit} bytes expected.`,
            400,
          );
        }
        received += chunk.length;
        let rest = chunk;
        while (rest.length > 0) {
          segment ??= this.openSegment(session.id, offset, segmentBytes);
          const part = rest.subarray(0, segmentBytes - segment.bytes);
          rest = rest.subarray(part.length);
          segment.bytes += part.length;
          running?.update(part);
          if (!segment.input.write(part)) await Promise.race([once(segment.input, 'drain'), segment.written]);
          if (segment.bytes === segmentBytes) {
            offset = await this.storeSegment(segment);
            // The previous record must have landed (and not lost a race) before this one may follow it.
            await settleRecording();
            recording = this.record(session, segment, running?.copy());
            recording.catch(() => undefined); // awaited at the next segment or at the end
            segment = undefined;
          }
        }
      }
      if (segment) {
        offset = await this.storeSegment(segment);
        await settleRecording();
        recorded = await this.record(session, segment, running);
        segment = undefined;
      }
      await settleRecording();
      return recorded;
    } catch (err) {
      if (segment) {
        segment.input.destroy(new Error('upload interrupted'));
        await segment.written.catch(() => undefined);
      }
      // A record that failed (another request moved the session) is the answer to give.
      const recordFailure = await settleRecording().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      if (recordFailure !== undefined) throw recordFailure;
      if (err instanceof AppError) throw err;
      if (source.destroyed && !source.readableEnded) {
        throw new UploadRefused(
          'truncated',
          'api.upload.upload_data.read_request.app_error',
          `The request body ended early; the upload continues at offset ${recorded}.`,
          400,
        );
      }
      throw err;
    } finally {
      if (!source.destroyed && !source.readableEnded) source.resume(); // discard what is left so that the answer gets out
    }
  }

  private openSegment(sessionId: string, start: number, maxBytes: number): Segment {
    // A buffer large enough that the socket's 64 KiB chunks reach the store in batches rather than one by one.
    const input = new PassThrough({ highWaterMark: SEGMENT_BUFFER_BYTES });
    const written = this.store.writePart(uploadSegmentFolder(sessionId), start, input, { maxBytes });
    written.catch(() => undefined); // awaited by storeSegment or by the failure path
    return { start, bytes: 0, input, written };
  }

  /** Ends the segment and waits until the store has all of it; returns the offset after it. */
  private async storeSegment(segment: Segment): Promise<number> {
    segment.input.end();
    await segment.written;
    return segment.start + segment.bytes;
  }

  /**
   * Moves `file_offset` past a stored segment if no one else moved it meanwhile; `running` (the digest of every byte
   * up to the segment's end) is kept for the next request or for assembling. Returns the new offset.
   */
  private async record(session: UploadSession, segment: Segment, running: Hash | undefined): Promise<number> {
    const next = segment.start + segment.bytes;
    const moved = await this.sessions.update({ id: session.id, file_offset: segment.start }, { file_offset: next, update_at: Date.now() });
    if (!moved.affected) {
      throw new UploadRefused(
        'conflict',
        'api.upload.upload_data.concurrent_upload.app_error',
        'Another request moved this upload meanwhile; ask for the session again and continue from its offset.',
        409,
      );
    }
    this.metrics.bytes.inc({ remote_id: session.remote_id }, segment.bytes);
    if (running) this.keepDigest(session.id, { offset: next, hash: running });
    return next;
  }

  /**
   * The complete file: its FileInfo if made already (answering a repeated request the same), otherwise the segments
   * joined, checked, given previews, and made visible by inserting the FileInfo.
   */
  private async finish(session: UploadSession): Promise<FileInfo> {
    const existing = await this.fileInfos.findOneBy({ id: session.req_file_id });
    if (existing) return this.ownFile(session, existing);

    const folder = uploadSegmentFolder(session.id);
    const running = this.digests.get(session.id);
    this.digests.delete(session.id);
    let written: WriteResult;
    try {
      written = await this.store.assembleParts(folder, session.path, {
        size: session.file_size,
        sha256: running?.offset === session.file_size ? running.hash.digest('hex') : undefined,
        expectedSha256: session.content_digest || undefined,
      });
    } catch (err) {
      if (err instanceof MissingPartsError) {
        await this.reset(session);
        throw new UploadRefused(
          'digest_mismatch',
          'api.upload.upload_data.integrity.app_error',
          `The stored parts hold ${err.stored} of ${session.file_size} bytes; the upload starts again at offset 0.`,
          400,
        );
      }
      if (!(err instanceof DigestMismatchError)) throw err;
      await this.reset(session);
      throw new UploadRefused(
        'digest_mismatch',
        'api.upload.upload_data.digest_mismatch.app_error',
        'The received file does not match its SHA-256 digest; the upload starts again at offset 0.',
        400,
      );
    }

    const name = session.filename;
    const extension = fileExtension(name);
    const mimeType = mimeTypeForExtension(extension);
    const images = await makeDerivedImages(
      this.store,
      session.path,
      mimeType,
      session.file_size,
      this.config.files.maxImageResolution,
    ).catch((err: unknown) => {
      this.log.warn({ fileId: session.req_file_id, err: String(err) }, 'no preview for a received image');
      return { width: 0, height: 0, has_preview_image: false, thumbnail_path: '', preview_path: '', mini_preview: null };
    });
    const now = Date.now();
    const info: FileInfo = {
      id: session.req_file_id,
      creator_id: session.user_id,
      post_id: '',
      channel_id: session.channel_id,
      create_at: now,
      update_at: now,
      delete_at: 0,
      path: session.path,
      name,
      extension,
      size: session.file_size,
      mime_type: mimeType,
      ...images,
      remote_id: session.remote_id,
      content_digest: written.sha256,
    };
    try {
      await this.fileInfos.insert({ ...info });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A concurrent request finished the same upload first (then this is its file), or the id went to another file.
      const other = await this.fileInfos.findOneByOrFail({ id: info.id });
      if (other.path !== info.path) {
        for (const path of [info.path, info.thumbnail_path, info.preview_path].filter(Boolean)) await this.store.remove(path);
      }
      return this.ownFile(session, other);
    }
    this.metrics.files.inc({ remote_id: session.remote_id });
    this.metrics.duration.observe({ remote_id: session.remote_id }, Math.max(0, now - session.create_at) / 1000);
    this.log.log({ remoteId: session.remote_id, fileId: info.id, size: info.size }, 'file received from remote');
    return info;
  }

  /**
   * The file made from this session, or a refusal when the id belongs to someone else's file (made meanwhile, e.g.
   * by another remote announcing the same id): then the stored segments can never become a file and go.
   */
  private async ownFile(session: UploadSession, info: FileInfo): Promise<FileInfo> {
    if (info.remote_id === session.remote_id && info.creator_id === session.user_id && info.path === session.path) return info;
    await this.store.removePrefix(uploadSegmentFolder(session.id));
    throw new UploadRefused('file_id_taken', 'api.upload.create.file_id_taken.app_error', `File id ${info.id} is already taken.`, 400);
  }

  /** Keeps a session's running digest, forgetting the oldest one beyond the bound. */
  private keepDigest(sessionId: string, digest: RunningDigest): void {
    this.digests.delete(sessionId); // re-inserted last: the map's order is the age
    this.digests.set(sessionId, digest);
    if (this.digests.size > MAX_RUNNING_DIGESTS) this.digests.delete(this.digests.keys().next().value!);
  }

  /** Back to offset 0, without the stored segments: the sender starts over. */
  private async reset(session: UploadSession): Promise<void> {
    this.digests.delete(session.id);
    await this.sessions.update({ id: session.id }, { file_offset: 0, update_at: Date.now() });
    await this.store.removePrefix(uploadSegmentFolder(session.id));
  }
}
