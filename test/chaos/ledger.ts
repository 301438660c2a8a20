/**
 * What the workload was told: every write and its outcome. `acked` is a 2xx answer (the write must survive and
 * reach every cluster), `rejected` a 4xx (it must have had no effect), `uncertain` a 5xx, a timeout or a broken
 * connection (either outcome is allowed, but every cluster must agree on it).
 */
export type Outcome = 'acked' | 'rejected' | 'uncertain';

export type OpKind = 'post' | 'attach' | 'reply' | 'edit' | 'delete' | 'react' | 'unreact' | 'ack' | 'unack';

export type ChannelKind = 'public' | 'private' | 'readonly' | 'dm' | 'gm';

/** A shared channel of the run. */
export interface ChannelRecord {
  id: string;
  kind: ChannelKind;
  /** The cluster it is homed on. */
  home: string;
  /** Ids of the workload users that are members (on every cluster). */
  members: string[];
  /** Clusters that hold the channel (a DM or GM only those of its members). */
  clusters: string[];
}

export type ReactionState = 'on' | 'off' | 'unknown';

export interface PostRecord {
  /** Unique text at the start of every version of the message: finds the post even when its id is unknown. */
  tag: string;
  /** Known once the creation was acknowledged. */
  id?: string;
  channelId: string;
  rootId: string;
  authorId: string;
  /** The cluster the author wrote on. */
  cluster: string;
  createAt?: number;
  created: 'acked' | 'uncertain';
  /** The last acknowledged message. */
  message: string;
  /** Messages of edits after it whose outcome is unknown: the final message may be any of them. */
  pendingMessages: string[];
  deleted: 'no' | 'acked' | 'uncertain';
  /** By `userId:emoji`. */
  reactions: Map<string, ReactionState>;
  /** Acknowledgements by user id. */
  acks: Map<string, ReactionState>;
  /** Attachments posted with it and the SHA-256 of what was uploaded. */
  files: { id: string; sha256: string }[];
}

export const TAG_PATTERN = /^\[[^\]]+\]/;

export class Ledger {
  readonly posts = new Map<string, PostRecord>();
  readonly counts = new Map<string, number>();
  readonly channels: ChannelRecord[] = [];
  /** Writes answered 2xx where they must be refused: in a read-only channel, on a cluster other than its home. */
  readonly readonlyAccepted: string[] = [];

  /** Notes a write's outcome where it matters beyond its post (a read-only share must refuse its remotes' writes). */
  noteWrite(channel: ChannelRecord, cluster: string, outcome: Outcome): void {
    if (channel.kind === 'readonly' && cluster !== channel.home && outcome === 'acked') {
      this.readonlyAccepted.push(`${cluster} accepted a write in read-only channel ${channel.id} homed on ${channel.home}`);
    }
  }

  count(kind: OpKind, outcome: Outcome): void {
    const key = `${kind} ${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  acked(): number {
    return [...this.counts].filter(([k]) => k.endsWith(' acked')).reduce((a, [, n]) => a + n, 0);
  }

  /** Live acknowledged posts of a channel (roots a reply may go under, posts one may react to). */
  livePosts(channelId: string): PostRecord[] {
    return [...this.posts.values()].filter((p) => p.channelId === channelId && p.id && p.deleted === 'no');
  }
}

/** Outcome of an HTTP status (0: connection refused, nothing sent; undefined: sent, but no answer). */
export function outcomeOf(status: number | undefined): Outcome {
  if (status === 0) return 'rejected';
  if (status === undefined || status >= 500) return 'uncertain';
  return status < 300 ? 'acked' : 'rejected';
}
