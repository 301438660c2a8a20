import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Bus } from '@fedchat/common';
import { SendToPeer } from '@fedchat/contracts';

/**
 * Tells peers that a channel is no longer shared with them (`sharedchannel_unshare`), in the background and on a
 * best-effort basis: a peer that misses it learns at its next sync, from the `channel is no longer shared` answer.
 * Sends in flight are awaited at shutdown. In removal mode `legacy` the message asks the peer to keep its copy of
 * the channel as a local channel (`archive_copy: false`, our extension; Mattermost's receiver ignores it).
 */
@Injectable()
export class PeerNotifier implements BeforeApplicationShutdown {
  private readonly logger = new Logger('SharingPeerNotifier');
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts the send; the promise settles when the peer answered (never rejects). */
  unshare(remoteId: string, channelId: string, archived = false): Promise<void> {
    const job: Promise<void> = this.send(remoteId, channelId, archived).finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
    return job;
  }

  /**
   * Tells several peers and waits for their answers, at most `budgetMs` (the rest finishes in the background). An
   * RPC that ends shares waits, so that a request that follows it (a re-invite) cannot overtake the unshare at the peer.
   */
  async unshareAndWait(remoteIds: string[], channelId: string, budgetMs: number, archived = false): Promise<void> {
    await this.within(
      budgetMs,
      remoteIds.map((r) => this.unshare(r, channelId, archived)),
    );
  }

  /** Tells one peer about several channels, in parallel, and waits for its answers at most `budgetMs`. */
  async unshareChannelsAndWait(remoteId: string, channelIds: string[], budgetMs: number): Promise<void> {
    await this.within(
      budgetMs,
      channelIds.map((c) => this.unshare(remoteId, c)),
    );
  }

  private async within(budgetMs: number, sends: Promise<void>[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, budgetMs);
    });
    await Promise.race([Promise.all(sends), budget]);
    clearTimeout(timer);
  }

  /** Resolves when every send started so far has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.idle();
  }

  private async send(remoteId: string, channelId: string, archived: boolean): Promise<void> {
    const payload = {
      channel_id: channelId,
      remote_id: remoteId,
      ...(archived ? { archived: true } : {}),
      ...(this.config.sharedChannels.removalMode === 'legacy' ? { archive_copy: false } : {}),
    };
    try {
      const answer = await this.bus.request(SendToPeer, { remote_id: remoteId, topic: 'sharedchannel_unshare', payload });
      if (answer.status === 'OK') {
        this.logger.log({ remote_id: remoteId, channel_id: channelId, archived }, 'peer told the channel is no longer shared');
      } else {
        this.logger.warn({ remote_id: remoteId, channel_id: channelId, err: answer.err }, 'peer did not take the unshare message');
      }
    } catch (err) {
      this.logger.warn(
        { remote_id: remoteId, channel_id: channelId, err: err instanceof Error ? err.message : String(err) },
        'unshare message not delivered',
      );
    }
  }
}
