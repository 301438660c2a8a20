import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig, backoffDelayMs, Bus } from '@fedchat/common';
import { AttachmentsPendingEvent, ConnectionStateChangedEvent, SharedChannelChangedEvent } from '@fedchat/contracts';
import { AttachmentSender, TransferAborted, TransferError } from './attachment-sender.service';
import { ClaimedTransfer, TransferQueue } from './transfer-queue.service';
import { TransferMetrics } from './transfer.metrics';

/**
 * Schedules attachment transfers on this replica: claims due rows when the sync sender rings
 * (`file-transfer.attachments.pending`), when a remote comes back online, and on a poll. Up to
 * FILE_TRANSFER_CONCURRENCY transfers run at once, each renewing its lease while it streams. Transient failures are
 * retried with backoff for as long as it takes; permanent refusals and deleted posts abandon the transfer. A finished
 * transfer rings the channel's sync, which sends the posts that waited for the file.
 */
@Injectable()
export class TransferWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('TransferWorker');
  private readonly running = new Map<string, { run: Promise<void>; abort: AbortController }>();
  private wanted = false;
  private pumping = false;
  private stopping = false;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
    private readonly queue: TransferQueue,
    private readonly sender: AttachmentSender,
    private readonly metrics: TransferMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.on(AttachmentsPendingEvent, () => this.ring(), 'file-transfer');
    this.bus.on(
      ConnectionStateChangedEvent,
      async (e) => {
        if (!e.online) return;
        await this.queue.wakeRemote(e.remote_id);
        this.ring();
      },
      'file-transfer',
    );
    this.timer = setInterval(() => {
      this.ring();
      this.queue.pendingCount().then(
        (n) => this.metrics.pending.set(n),
        () => undefined,
      );
    }, this.config.fileTransfer.pollIntervalMs);
    this.ring();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    for (const { abort } of this.running.values()) abort.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.run));
  }

  ring(): void {
    if (this.stopping) return;
    this.wanted = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopping && this.wanted) {
        const free = this.config.fileTransfer.concurrency - this.running.size;
        if (free <= 0) return; // A finishing transfer pumps again.
        this.wanted = false;
        for (const t of await this.queue.claim(free)) this.start(t);
      }
    } catch (err) {
      this.log.error({ err }, 'claiming file transfers failed; the next poll retries');
    } finally {
      this.pumping = false;
    }
  }

  private start(t: ClaimedTransfer): void {
    const abort = new AbortController();
    const run = this.runTransfer(t, abort).finally(() => {
      this.running.delete(t.id);
      this.ring();
    });
    this.running.set(t.id, { run, abort });
  }

  private async runTransfer(t: ClaimedTransfer, abort: AbortController): Promise<void> {
    const started = Date.now();
    const labels = { remote_id: t.remote_id };
    // Keep the lease while the bytes flow; losing it stops this transfer (another replica continues from the offset).
    const renewal = setInterval(
      () => {
        this.queue.renew(t).then(
          (kept) => (kept ? undefined : abort.abort()),
          () => undefined,
        );
      },
      Math.max(500, Math.floor(this.config.fileTransfer.leaseMs / 3)),
    );
    try {
      await this.sender.transfer(t, abort.signal);
      clearInterval(renewal);
      if (!(await this.queue.complete(t))) return;
      this.metrics.sentFiles.inc(labels);
      this.metrics.duration.observe(labels, (Date.now() - started) / 1000);
      this.log.log({ file_id: t.file_id, remote_id: t.remote_id, ms: Date.now() - started }, 'file transfer complete');
      this.bus.emit(SharedChannelChangedEvent, { channel_id: t.channel_id });
    } catch (err) {
      clearInterval(renewal);
      if (err instanceof TransferAborted || abort.signal.aborted) {
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
