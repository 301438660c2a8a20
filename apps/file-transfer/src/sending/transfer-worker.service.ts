import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig, backoffDelayMs, Bus, ScheduledJobs, WorkLoop } from '@fedchat/common';
import { SharedChannelChangedEvent } from '@fedchat/contracts';
import { AttachmentSender, TransferAborted, TransferError } from './attachment-sender.service';
import { ClaimedTransfer, TransferQueue } from './transfer-queue.service';
import { TransferMetrics } from './transfer.metrics';

/**
 * Schedules attachment transfers on this replica: claims due rows when the sync sender rings
 * (`file-transfer.attachments.pending`), when a remote comes back online, and on a poll (job
 * `file-transfer.transfer-poll`). Up to FILE_TRANSFER_CONCURRENCY transfers run at once (WorkLoop), each renewing its
 * lease while it streams. Transient failures are retried with backoff for as long as it takes; permanent refusals and
 * deleted posts abandon the transfer. A finished transfer rings the channel's sync, which sends the posts that waited
 * for the file.
 */
@Injectable()
export class TransferWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('TransferWorker');
  private readonly loop: WorkLoop<ClaimedTransfer>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
    private readonly jobs: ScheduledJobs,
    private readonly queue: TransferQueue,
    private readonly sender: AttachmentSender,
    private readonly metrics: TransferMetrics,
  ) {
    this.loop = new WorkLoop<ClaimedTransfer>({
      what: 'file transfers',
      describe: (t) => `file ${t.file_id} to remote ${t.remote_id}`,
      log: this.log,
      concurrency: config.fileTransfer.concurrency,
      claim: (limit) => this.queue.claim(limit),
      run: (t, signal) => this.runTransfer(t, signal),
      release: (t) => this.queue.release(t),
      lookAgain: () => true,
      // Keep the lease while the bytes flow; losing it stops this transfer (another replica continues from the offset).
      lease: { everyMs: Math.max(500, Math.floor(config.fileTransfer.leaseMs / 3)), renew: (t) => this.queue.renew(t) },
    });
  }

  onApplicationBootstrap(): void {
    this.jobs.start('file-transfer.transfer-poll', () => this.ring());
    this.jobs.start('file-transfer.queue-gauge', () =>
      this.queue.pendingCount().then(
        (n) => this.metrics.pending.set(n),
        () => undefined,
      ),
    );
    this.ring();
  }

  async onApplicationShutdown(): Promise<void> {
    this.jobs.stop('file-transfer.transfer-poll');
    this.jobs.stop('file-transfer.queue-gauge');
    await this.loop.stop();
  }

  /** Doorbell: a remote came (back) online, so its transfers waiting for a retry are due now. */
  async remoteOnline(remoteId: string): Promise<void> {
    await this.queue.wakeRemote(remoteId);
    this.ring();
  }

  ring(): void {
    this.loop.ring();
  }

  /** `stop` is aborted on shutdown and when the lease is lost. */
  private async runTransfer(t: ClaimedTransfer, stop: AbortSignal): Promise<void> {
    const started = Date.now();
    const labels = { remote_id: t.remote_id };
    try {
      await this.sender.transfer(t, stop);
      if (!(await this.queue.complete(t))) return;
      this.metrics.sentFiles.inc(labels);
      this.metrics.duration.observe(labels, (Date.now() - started) / 1000);
      this.log.log({ file_id: t.file_id, remote_id: t.remote_id, ms: Date.now() - started }, 'file transfer complete');
      this.bus.emit(SharedChannelChangedEvent, { channel_id: t.channel_id });
    } catch (err) {
      if (err instanceof TransferAborted || stop.aborted) {
        await this.queue.release(t).catch(() => undefined);
        return;
      }
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof TransferError && err.permanent) {
        this.metrics.errors.inc({ ...labels, reason: err.reason });
        this.log.warn({ file_id: t.file_id, remote_id: t.remote_id, reason }, 'file transfer abandoned; the post goes without this file');
        await this.queue.abandon(t, reason).catch(() => undefined);
        // The posts that waited for this file may go now.
        this.bus.emit(SharedChannelChangedEvent, { channel_id: t.channel_id });
        return;
      }
      this.metrics.errors.inc({ ...labels, reason: err instanceof TransferError ? err.reason : 'store' });
      if (!(err instanceof TransferError)) this.log.error({ err, file_id: t.file_id }, 'file transfer failed');
      const { retryBaseMs: baseMs, retryMaxMs: capMs } = this.config.fileTransfer;
      const retryIn = backoffDelayMs(t.failures + 1, { baseMs, capMs });
      this.log.warn({ file_id: t.file_id, remote_id: t.remote_id, reason, retry_in_ms: retryIn }, 'file transfer failed; will retry');
      await this.queue.fail(t, reason, retryIn).catch(() => undefined);
    }
  }
}
