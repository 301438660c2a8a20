import { returning } from '@fedchat/models';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  APP_CONFIG,
  AppConfig,
  Bus,
  counter,
  gauge,
  histogram,
  PeerClient,
  peerAddressPolicy,
  PING_TIMEOUT_MS,
  remoteClusterServiceEnabled,
  ScheduledJobs,
} from '@fedchat/common';
import { ConnectionStateChangedEvent } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { DataSource } from 'typeorm';

const pingSeconds = histogram({
  name: 'mattermost_remote_cluster_ping_time',
  help: 'Round trip of pings to remote clusters, in seconds',
  labelNames: ['remote_id'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
});
const clockSkew = histogram({
  name: 'mattermost_remote_cluster_clock_skew',
  help: 'Estimated clock difference with remote clusters, in seconds',
  labelNames: ['remote_id'] as const,
  buckets: [-60, -10, -1, -0.1, 0, 0.1, 1, 10, 60],
});
const stateChanges = counter({
  name: 'mattermost_remote_cluster_conn_state_change_total',
  help: 'Online/offline transitions of remote clusters',
  labelNames: ['remote_id', 'online'] as const,
});

const onlineState = gauge({
  name: 'fedchat_remote_cluster_online',
  help: 'Confirmed remote clusters: 1 online, 0 offline (read from the database: every replica reports the same, take max)',
  labelNames: ['remote_id'] as const,
});

/** Pings in flight at once per replica (Mattermost: 10 concurrent pingers). */
const CONCURRENT_PINGS = 10;
const CLAIM_BATCH = 50;

interface Claimed {
  remote_id: string;
  site_url: string;
  remote_token: string;
  last_ping_at: string;
  is_online: boolean;
}

/**
 * Pings every confirmed remote every `pingIntervalMs` and announces online/offline transitions once each.
 *
 * With several replicas, a replica claims due remotes by moving their `next_ping_at` forward under
 * `FOR UPDATE SKIP LOCKED`, so each remote is pinged by exactly one replica; a replica that dies after claiming
 * leaves the remote due again one interval later, and another replica takes it. The announced state lives in the
 * row (`is_online`) and is flipped by a conditional update, so a transition is announced exactly once.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(HeartbeatService.name);
  /** Remotes this replica has put in the online gauge, so that deleted ones can be taken out. */
  private readonly reported = new Set<string>();
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly peers: PeerClient,
    private readonly bus: Bus,
    private readonly jobs: ScheduledJobs,
  ) {}

  onApplicationBootstrap(): void {
    if (!remoteClusterServiceEnabled(this.config)) return;
    // Says once how REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES came out (auto depends on SITE_URL).
    this.logger.log(peerAddressPolicy(this.config).describe());
    // Ticks often (at most every second) so that a remote made due early (pingSoon) is pinged soon; each round claims only
    // the remotes whose next_ping_at has come.
    this.jobs.start('remote-cluster.heartbeat', () => {
      if (!this.running) this.running = this.round().finally(() => (this.running = undefined));
    });
    void this.reportStates();
    this.jobs.start('remote-cluster.online-gauge', () => this.reportStates());
  }

  /** Puts every confirmed remote's announced state (`is_online`) in fedchat_remote_cluster_online. */
  async reportStates(): Promise<void> {
    try {
      const rows: { remote_id: string; is_online: boolean }[] = await this.dataSource.query(
        `SELECT remote_id, is_online FROM remote_clusters
         WHERE delete_at = 0 AND plugin_id = '' AND site_url <> '' AND site_url NOT LIKE 'pending\\_%'`,
      );
      const current = new Set(rows.map((r) => r.remote_id));
      for (const gone of [...this.reported].filter((id) => !current.has(id))) {
        onlineState.remove({ remote_id: gone });
        this.reported.delete(gone);
      }
      for (const r of rows) {
        onlineState.set({ remote_id: r.remote_id }, r.is_online ? 1 : 0);
        this.reported.add(r.remote_id);
      }
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'could not read the remotes for the online gauge');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.jobs.stop('remote-cluster.heartbeat');
    this.jobs.stop('remote-cluster.online-gauge');
    await this.running;
  }

  /** Makes a remote due now (after a handshake: both sides ping at once). */
  pingSoon(remoteId: string): void {
    this.dataSource
      .query('UPDATE remote_clusters SET next_ping_at = 0 WHERE remote_id = $1', [remoteId])
      .catch((err) => this.logger.error({ remote_id: remoteId, err: String(err) }, 'could not schedule ping'));
  }

  /** One round: claim what is due, ping it, record the results. */
  async round(): Promise<void> {
    try {
      const claimed = await this.claimDue();
      for (let i = 0; i < claimed.length && !this.stopped; i += CONCURRENT_PINGS) {
        await Promise.all(claimed.slice(i, i + CONCURRENT_PINGS).map((rc) => this.ping(rc)));
      }
    } catch (err) {
      this.logger.error({ err: String(err) }, 'heartbeat round failed');
    }
  }

  private async claimDue(): Promise<Claimed[]> {
    const now = Date.now();
    return returning<Claimed>(
      this.dataSource,
      `UPDATE remote_clusters SET next_ping_at = $1
       WHERE remote_id IN (
         SELECT remote_id FROM remote_clusters
         WHERE delete_at = 0 AND plugin_id = '' AND site_url <> '' AND site_url NOT LIKE 'pending\\_%' AND next_ping_at <= $2
         ORDER BY next_ping_at LIMIT ${CLAIM_BATCH} FOR UPDATE SKIP LOCKED)
       RETURNING remote_id, site_url, remote_token, last_ping_at, is_online`,
      [now + this.config.remoteCluster.pingIntervalMs, now],
    );
  }

  private async ping(rc: Claimed): Promise<void> {
    const sentAt = Date.now();
    let ok = false;
    try {
      const answer = await this.peers.postJson<{ sent_at?: number; recv_at?: number }>({
        remoteId: rc.remote_id,
        siteUrl: rc.site_url,
        path: '/api/v4/remotecluster/ping',
        token: rc.remote_token,
        timeoutMs: PING_TIMEOUT_MS,
        body: { remote_id: rc.remote_id, msg: { id: newId(), topic: 'ping', create_at: sentAt, payload: { sent_at: sentAt } } },
      });
      const elapsed = (Date.now() - sentAt) / 1000;
      pingSeconds.observe({ remote_id: rc.remote_id }, elapsed);
      if (typeof answer?.recv_at === 'number')
        clockSkew.observe({ remote_id: rc.remote_id }, elapsed / 2 - (answer.recv_at - sentAt) / 1000);
      ok = true;
    } catch (err) {
      this.logger.warn({ remote_id: rc.remote_id, err: err instanceof Error ? err.message : String(err) }, 'ping failed');
    }
    const now = Date.now();
    if (ok) await this.dataSource.query('UPDATE remote_clusters SET last_ping_at = $1 WHERE remote_id = $2', [now, rc.remote_id]);
    const online = ok || now - Number(rc.last_ping_at) <= this.config.remoteCluster.offlineAfterMs;
    if (online !== rc.is_online) await this.announce(rc.remote_id, online, now);
  }

  private async announce(remoteId: string, online: boolean, at: number): Promise<void> {
    const result: [unknown[], number] = await this.dataSource.query(
      'UPDATE remote_clusters SET is_online = $1 WHERE remote_id = $2 AND is_online <> $1 AND delete_at = 0',
      [online, remoteId],
    );
    if (!result[1]) return;
    stateChanges.inc({ remote_id: remoteId, online: String(online) });
    onlineState.set({ remote_id: remoteId }, online ? 1 : 0);
    this.reported.add(remoteId);
    this.logger.log({ remote_id: remoteId, online }, online ? 'remote is online' : 'remote is offline');
    this.bus.emit(ConnectionStateChangedEvent, { remote_id: remoteId, online, at });
  }
}
