import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig, backoffDelayMs, ScheduledJobs, WorkLoop } from '@fedchat/common';
import { SystemPosts } from '@fedchat/chat';
import { RemoteCluster } from '@fedchat/models';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ShareTeardown } from '../sharing/share-teardown.service';
import { DeadLetters } from './dead-letters.service';
import { ChannelRings } from './channel-rings';
import { ClaimedPair, SyncQueue } from './sync-queue.service';
import { SyncRunOutcome, SyncSendError, SyncSender } from './sync-sender.service';
import { SyncMetrics } from './sync.metrics';

/** How soon a pair whose posts wait for their attachments looks again (a completed transfer wakes it sooner). */
const FILES_WAIT_MS = 1000;

/**
 * Schedules sync runs on this replica: claims due pairs when a change rings the doorbell
 * (`shared-channel.channel.changed`), when a remote comes back online, and on a short poll (job
 * `shared-channel-sync.sync-poll`) that finds whatever no doorbell announced (another replica's change, a retry now
 * due, a pair whose holder died). Up to SHARED_CHANNELS_CONCURRENCY pairs run at once (WorkLoop); each pair on one
 * replica only (see SyncQueue).
 */
@Injectable()
export class SyncWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('SyncWorker');
  private readonly loop: WorkLoop<ClaimedPair>;
  /** The doorbells of each channel with a pair running here, passed on to those runs. */
  private readonly running = new Map<string, Set<ChannelRings>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: ScheduledJobs,
    private readonly queue: SyncQueue,
    private readonly sender: SyncSender,
    private readonly system: SystemPosts,
    private readonly teardown: ShareTeardown,
    private readonly metrics: SyncMetrics,
    private readonly deadLetters: DeadLetters,
  ) {
    this.loop = new WorkLoop<ClaimedPair>({
      what: 'sync work',
      describe: (pair) => `channel ${pair.channel_id} to remote ${pair.remote_id}`,
      log: this.log,
      concurrency: config.sharedChannels.concurrency,
      claim: (limit, channelId) => this.queue.claim(limit, channelId),
      run: (pair, signal) => this.runPair(pair, signal),
      release: (pair) => this.queue.release(pair),
      // Changes that arrived while this pair was held could not be claimed; look again now.
      lookAgain: (pair) => pair.channel_id,
      claimAgainWhenFull: true,
      // A batch may wait on the peer longer than the lease (up to the send's deadline): without renewal another run
      // would claim the pair meanwhile and send the same batch beside it.
      lease: { everyMs: Math.max(500, Math.floor(config.sharedChannels.leaseMs / 3)), renew: (pair) => this.queue.renew(pair) },
    });
  }

  onApplicationBootstrap(): void {
    this.jobs.start('shared-channel-sync.sync-poll', () => this.ring());
    this.jobs.start('shared-channel-sync.queue-gauge', () =>
      Promise.all([
        this.queue.pendingPairs().then((n) => this.metrics.queueSize.set(n)),
        this.deadLetters.counts().then((rows) => {
          for (const state of ['retrying', 'failed']) this.metrics.deadLetters.set({ state }, rows.find((r) => r.state === state)?.n ?? 0);
        }),
      ]).then(
        () => undefined,
        () => undefined,
      ),
    );
    this.ring();
  }

  async onApplicationShutdown(): Promise<void> {
    this.jobs.stop('shared-channel-sync.sync-poll');
    this.jobs.stop('shared-channel-sync.queue-gauge');
    await this.loop.stop();
  }

  /**
   * Doorbell: the channel changed, so its pairs are due now. Most pairs are due already, so the claim starts at once
   * (a new post goes out without waiting for the wake-up's round trip); a pair that was waiting for its files is
   * claimed by a second ring once woken.
   */
  async channelChanged(channelId: string): Promise<void> {
    for (const rings of this.running.get(channelId) ?? []) rings.ring();
    this.ring(channelId);
    if (await this.queue.wakeChannel(channelId)) this.ring(channelId);
  }

  /** Doorbell: a remote came (back) online, so its pairs waiting for a retry are due now. */
  async remoteOnline(remoteId: string): Promise<void> {
    await this.queue.wakeRemote(remoteId);
    this.ring();
  }

  /** Asks for a claim of due pairs: of one channel, or of any channel when no channel is given. */
  ring(channelId?: string): void {
    this.loop.ring(channelId);
  }

  /** Runs the sender with the channel's doorbells heard meanwhile, so that it goes on with what they announce. */
  private async send(pair: ClaimedPair, stop: AbortSignal): Promise<SyncRunOutcome> {
    const rings = new ChannelRings();
    const listening = this.running.get(pair.channel_id) ?? new Set<ChannelRings>();
    this.running.set(pair.channel_id, listening.add(rings));
    try {
      return await this.sender.run(pair, () => stop.aborted, rings);
    } finally {
      listening.delete(rings);
      if (listening.size === 0) this.running.delete(pair.channel_id);
    }
  }

  private async runPair(pair: ClaimedPair, stop: AbortSignal): Promise<void> {
    try {
      const outcome = await this.send(pair, stop);
      if (stop.aborted) {
        await this.queue.release(pair);
        return;
      }
      if (outcome === 'files-pending') {
        await this.tellInterruption(pair, await this.queue.waitForFiles(pair, FILES_WAIT_MS));
        return;
      }
      if (await this.queue.succeed(pair)) await this.notice(pair, 'resumed');
    } catch (err) {
      if (err instanceof SyncSendError && err.notShared) {
        this.log.warn({ channel: pair.channel_id, remote: pair.remote_id }, 'the remote no longer shares the channel');
        await this.queue.release(pair);
        await this.teardown.peerStoppedSharing(pair.channel_id, pair.remote_id);
        return;
      }
      await this.failed(pair, err);
    }
  }

  private async failed(pair: ClaimedPair, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    if (!(err instanceof SyncSendError)) this.log.error({ err, pair: pair.id }, 'sync run failed');
    else this.log.warn({ channel: pair.channel_id, remote: pair.remote_id, reason }, 'sync delivery failed; will retry');
    this.metrics.sendFailures.inc({ remote_id: pair.remote_id });
    const { retryBaseMs: baseMs, retryMaxMs: capMs } = this.config.sharedChannels;
    const retryIn = backoffDelayMs(pair.failures + 1, { baseMs, capMs });
    await this.tellInterruption(pair, await this.queue.fail(pair, reason, retryIn).catch(() => undefined));
  }

  /** Posts "interrupted" once an interruption of the pair has lasted the threshold (once per interruption). */
  private async tellInterruption(pair: ClaimedPair, state: { interruptedSince: number; notified: boolean } | undefined): Promise<void> {
    if (!state || state.notified || state.interruptedSince === 0) return;
    if (
      Date.now() - state.interruptedSince >= this.config.sharedChannels.interruptedAfterMs &&
      (await this.queue.markInterruptionNotified(pair))
    ) {
      await this.notice(pair, 'interrupted', state.interruptedSince);
    }
  }

  /** Local notices (never synced) when deliveries to a remote stop for longer than the threshold, and when they resume. */
  private async notice(pair: ClaimedPair, state: 'interrupted' | 'resumed', since = 0): Promise<void> {
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: pair.remote_id });
    const name = rc?.display_name || rc?.name || pair.remote_id;
    const message =
      state === 'interrupted'
        ? `Sync with ${name} is interrupted: messages in this channel have not reached it since ${new Date(since).toISOString()}. They will be delivered when it is reachable again.`
        : `Sync with ${name} has resumed: messages missed while it was interrupted are being delivered.`;
    try {
      await this.system.notice(pair.channel_id, message, { sync_state: state, remote_id: pair.remote_id });
    } catch (err) {
      this.log.error({ err, channel: pair.channel_id }, 'could not post the sync notice');
    }
  }
}
