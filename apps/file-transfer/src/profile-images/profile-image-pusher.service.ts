import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  APP_CONFIG,
  AppConfig,
  backoffDelayMs,
  FILE_STORE,
  FileStore,
  PeerClient,
  PROFILE_IMAGE_CONTENT_TYPES,
  profileImagePath,
  ScheduledJobs,
  SerialPasses,
} from '@fedchat/common';
import { RemoteCluster } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { TransferMetrics } from '../sending/transfer.metrics';

/** A local user whose current picture a remote has not got yet. */
interface DuePicture {
  user_id: string;
  remote_id: string;
  last_picture_update: string;
}

const BATCH = 50;

/**
 * Pushes local users' profile pictures to remotes (protocol §5.13): to every remote that shares a channel the user is a
 * member of and already knows the user (a `shared_channel_users` row), once per picture version and remote, never to
 * the user's own remote. The record of what each remote got is `shared_channel_users.last_picture_sync_at`, so a lost
 * event or a restart only delays a push: the poll finds it. A PostgreSQL advisory lock per (user, remote) keeps two
 * replicas from pushing the same picture at once.
 */
@Injectable()
export class ProfileImagePusher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('ProfileImagePusher');
  /** In-memory backoff per (user, remote) after a failure: the durable state needs none. */
  private readonly backoff = new Map<string, { failures: number; until: number }>();
  private readonly passes = new SerialPasses(
    () => this.pass(),
    (err) => this.log.error({ err }, 'pushing profile pictures failed; the next poll retries'),
  );
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FILE_STORE) private readonly store: FileStore,
    private readonly jobs: ScheduledJobs,
    private readonly peers: PeerClient,
    private readonly metrics: TransferMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.start('file-transfer.profile-picture-poll', () => this.ring());
    this.ring();
  }

  async onApplicationShutdown(): Promise<void> {
    this.jobs.stop('file-transfer.profile-picture-poll');
    await this.passes.stop();
  }

  /** Looks for due pictures now (one pass at a time; a ring during a pass runs another after it). */
  ring(): void {
    this.passes.ring();
  }

  private async pass(): Promise<void> {
    const due: DuePicture[] = await this.dataSource.query(
      `SELECT u.id AS user_id, scu.remote_id, u.last_picture_update
       FROM shared_channel_users scu
       JOIN users u ON u.id = scu.user_id AND u.remote_id = '' AND u.delete_at = 0 AND u.last_picture_update > 0
       JOIN shared_channel_remotes scr ON scr.channel_id = scu.channel_id AND scr.remote_id = scu.remote_id AND scr.delete_at = 0
       JOIN channel_members cm ON cm.channel_id = scu.channel_id AND cm.user_id = u.id
       JOIN remote_clusters rc ON rc.remote_id = scu.remote_id AND rc.delete_at = 0
       WHERE scu.channel_id <> ''
       GROUP BY u.id, scu.remote_id, u.last_picture_update
       HAVING max(scu.last_picture_sync_at) < u.last_picture_update
       ORDER BY u.last_picture_update
       LIMIT $1`,
      [BATCH],
    );
    const now = Date.now();
    for (const row of due) {
      if (this.passes.stopping) return;
      const key = `${row.user_id}:${row.remote_id}`;
      if ((this.backoff.get(key)?.until ?? 0) > now) continue;
      await this.pushLocked(row, key);
    }
  }

  /** Pushes under a session advisory lock, so that only one replica sends this (user, remote) at a time. */
  private async pushLocked(row: DuePicture, key: string): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [`picture:${key}`])) as {
        locked: boolean;
      }[];
      if (!locked) return;
      try {
        await this.push(row, key);
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`picture:${key}`]);
      }
    } finally {
      await runner.release();
    }
  }

  private async push(row: DuePicture, key: string): Promise<void> {
    const version = Number(row.last_picture_update);
    // Another replica may have pushed it while we waited for the lock.
    const [{ pending }] = (await this.dataSource.query(
      `SELECT max(last_picture_sync_at) < $3 AS pending FROM shared_channel_users WHERE user_id = $1 AND remote_id = $2 AND channel_id <> ''`,
      [row.user_id, row.remote_id, version],
    )) as { pending: boolean }[];
    if (!pending) return;
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: row.remote_id, delete_at: 0 });
    if (!rc) return;
    const image = await this.storedImage(row.user_id);
    if (!image) {
      // The picture was reset or removed meanwhile: nothing to push for this version.
      await this.recordPushed(row, version);
      return;
    }
    const labels = { remote_id: row.remote_id };
    try {
      const answer = await this.peers.postMultipart({
        remoteId: rc.remote_id,
        siteUrl: rc.site_url,
        token: rc.remote_token,
        path: `/api/v4/remotecluster/${row.user_id}/image`,
        field: 'image',
        filename: 'profile.png',
        fileContentType: image.contentType,
        body: await this.store.readStream(image.path),
        size: image.size,
        idleTimeoutMs: this.config.fileTransfer.idleTimeoutMs,
      });
      if (answer.status === 200) {
        this.metrics.sentBytes.inc(labels, image.size);
        this.metrics.sentFiles.inc(labels);
        this.backoff.delete(key);
        await this.recordPushed(row, version);
        this.log.log({ user_id: row.user_id, remote_id: row.remote_id, bytes: image.size }, 'profile picture sent');
        return;
      }
      if ([400, 413, 501].includes(answer.status)) {
        // Refused for good (not a user the remote knows as ours, too large, no file store): this version is skipped.
        this.metrics.errors.inc({ ...labels, reason: 'refused' });
        this.log.warn({ user_id: row.user_id, remote_id: row.remote_id, status: answer.status }, 'profile picture refused by the remote');
        await this.recordPushed(row, version);
        return;
      }
      throw new Error(`the peer answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
    } catch (err) {
      const failures = (this.backoff.get(key)?.failures ?? 0) + 1;
      const { retryBaseMs: baseMs, retryMaxMs: capMs } = this.config.fileTransfer;
      const retryIn = backoffDelayMs(failures, { baseMs, capMs });
      this.backoff.set(key, { failures, until: Date.now() + retryIn });
      this.metrics.errors.inc({ ...labels, reason: 'network' });
      this.log.warn(
        { user_id: row.user_id, remote_id: row.remote_id, err: err instanceof Error ? err.message : String(err), retry_in_ms: retryIn },
        'sending a profile picture failed; will retry',
      );
    }
  }

  private async recordPushed(row: DuePicture, version: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE shared_channel_users SET last_picture_sync_at = $3 WHERE user_id = $1 AND remote_id = $2 AND channel_id <> ''`,
      [row.user_id, row.remote_id, version],
    );
  }

  private async storedImage(userId: string): Promise<{ path: string; contentType: string; size: number } | undefined> {
    for (const [ext, contentType] of Object.entries(PROFILE_IMAGE_CONTENT_TYPES)) {
      const path = profileImagePath(userId, ext);
      try {
        return { path, contentType, size: (await this.store.stat(path)).size };
      } catch {
        // Not this format.
      }
    }
    return undefined;
  }
}
