import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { PeerResponse, SendToPeerRequest } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { RemoteCluster } from '@fedchat/models';
import { Repository } from 'typeorm';
import { isConfirmed } from '../connections/remote-cluster.mapper';
import { ConnectionCache, PeerClient, SEND_TIMEOUT_MS } from '@fedchat/common';

/**
 * Delivers a topic message to a peer's `/api/v4/remotecluster/msg` and hands back its Response. Callers send one
 * message per (channel, remote) at a time and wait for the answer, which is what keeps per-remote order.
 */
@Injectable()
export class MessageSender {
  private readonly logger = new Logger(MessageSender.name);
  /** Live, confirmed connections by remote id: a message costs no statement (see ConnectionCache for invalidation). */
  private readonly connections = new ConnectionCache<RemoteCluster>();

  constructor(
    @InjectRepository(RemoteCluster) private readonly remotes: Repository<RemoteCluster>,
    private readonly peers: PeerClient,
  ) {}

  async send(req: SendToPeerRequest): Promise<PeerResponse> {
    const rc = await this.connectionOf(req.remote_id);
    if (!rc) return { status: 'FAIL', err: 'unknown or unconfirmed remote' };
    try {
      const answer = await this.peers.postJson<Partial<PeerResponse>>({
        remoteId: rc.remote_id,
        siteUrl: rc.site_url,
        path: '/api/v4/remotecluster/msg',
        token: rc.remote_token,
        timeoutMs: SEND_TIMEOUT_MS,
        body: { remote_id: rc.remote_id, msg: { id: newId(), topic: req.topic, create_at: Date.now(), payload: req.payload } },
      });
      if (answer?.status !== 'OK' && answer?.status !== 'FAIL') return { status: 'FAIL', err: 'peer answered without a status' };
      const payload = answer.payload && typeof answer.payload === 'object' && !Array.isArray(answer.payload) ? answer.payload : null;
      return { status: answer.status, err: typeof answer.err === 'string' ? answer.err : '', payload };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.warn({ remote_id: rc.remote_id, topic: req.topic, err: reason }, 'message delivery failed');
      return { status: 'FAIL', err: reason };
    }
  }

  /** Drops this process's cached row of a connection (`remote-cluster.connection.changed` from any process). */
  forgetConnection(remoteId: string): void {
    this.connections.forget(remoteId);
  }

  /** The live, confirmed connection of a remote, or undefined (not cached: it may be confirmed at any moment). */
  private async connectionOf(remoteId: string): Promise<RemoteCluster | undefined> {
    const cached = this.connections.get(remoteId);
    if (cached) return cached;
    const begun = this.connections.begin();
    const rc = await this.remotes.findOneBy({ remote_id: remoteId, delete_at: 0 });
    if (!rc || !isConfirmed(rc)) return undefined;
    this.connections.put(remoteId, rc, begun);
    return rc;
  }
}
