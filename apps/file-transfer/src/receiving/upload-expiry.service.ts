import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, counter, FILE_STORE, FileStore, ScheduledJobs, uploadSegmentFolder } from '@fedchat/common';
import { returning } from '@fedchat/models';
import { DataSource } from 'typeorm';

const expired = counter({
  name: 'fedchat_file_transfer_expired_uploads_total',
  help: 'Unfinished uploads from remotes given up after FILE_TRANSFER_UPLOAD_EXPIRY_MS without progress',
  labelNames: ['remote_id'] as const,
});

/** Sessions given up per sweep, so that one sweep stays short whatever piled up. */
const SWEEP_LIMIT = 100;

/**
 * Gives up uploads from remotes that stopped moving: a sender that was disconnected for good, or whose post was
 * deleted, never comes back for its session, and its stored segments would stay forever. A session untouched for
 * FILE_TRANSFER_UPLOAD_EXPIRY_MS is deleted with its segments; a sender that does come back later simply announces the
 * file again and starts over. Finished sessions are kept: they answer a re-announced file with "complete". Swept by
 * job `file-transfer.upload-expiry`.
 */
@Injectable()
export class UploadExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('UploadExpiry');
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FILE_STORE) private readonly store: FileStore,
    private readonly jobs: ScheduledJobs,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.start('file-transfer.upload-expiry', () =>
      this.sweep().catch((err: unknown) => this.log.error({ err }, 'expiring stale uploads failed; the next sweep retries')),
    );
  }

  onApplicationShutdown(): void {
    this.jobs.stop('file-transfer.upload-expiry');
  }

  /** Deletes stale unfinished sessions (each by one replica: SKIP LOCKED), then their segments. Returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    const gone = await returning<{ id: string; remote_id: string }>(
      this.dataSource,
      `DELETE FROM upload_sessions WHERE id IN (
         SELECT id FROM upload_sessions
         WHERE remote_id <> '' AND file_offset < file_size AND GREATEST(update_at, create_at) < $1
         ORDER BY update_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, remote_id`,
      [now - this.config.fileTransfer.uploadExpiryMs, SWEEP_LIMIT],
    );
    for (const session of gone) {
      await this.store.removePrefix(uploadSegmentFolder(session.id));
      expired.inc({ remote_id: session.remote_id });
      this.log.log({ upload_id: session.id, remote_id: session.remote_id }, 'unfinished upload from a remote expired');
    }
    return gone.length;
  }
}
