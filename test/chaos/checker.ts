import { Api, downloadSha256, PostJson } from '@fedchat/testing';
import { Ledger, PostRecord, TAG_PATTERN } from './ledger';

/** One broken promise, with enough to find it again (cluster, channel, post). */
export interface Violation {
  kind: string;
  detail: string;
}

export interface ClusterView {
  name: string;
  /** As the cluster's admin. */
  api: Api;
  /** A member's view of a channel the admin may not read (a DM or GM); `api` by default. */
  apiFor?: (channelId: string) => Api;
  /** SHA-256 of a file as the cluster serves it (undefined: not served); by default a download through `apiFor`. */
  download?: (fileId: string, channelId: string) => Promise<string | undefined>;
}

const reader = (cluster: ClusterView, channelId: string) => cluster.apiFor?.(channelId) ?? cluster.api;

/** The clusters that hold a channel: those the ledger names for it (a DM or GM), or all. */
function holding(clusters: ClusterView[], ledger: Ledger, channelId: string): ClusterView[] {
  const names = ledger.channels.find((c) => c.id === channelId)?.clusters;
  return names ? clusters.filter((c) => names.includes(c.name)) : clusters;
}

interface SeenPost {
  id: string;
  tag: string;
  message: string;
  rootId: string;
  createAt: number;
  userId: string;
  reactions: string[];
  /** User ids of the live acknowledgements. */
  acks: string[];
  fileIds: string[];
}

/** A cluster's user posts of a channel through `/api/v4`, oldest first as its pages list them. */
async function readChannel(client: Api, channelId: string): Promise<PostJson[]> {
  const all: PostJson[] = [];
  for (let page = 0; ; page++) {
    const list = await client.get<{ order: string[]; posts: Record<string, PostJson> }>(
      `/channels/${channelId}/posts?page=${page}&per_page=200&skipFetchThreads=true`,
    );
    all.push(...list.order.map((id) => list.posts[id]));
    if (list.order.length < 200) break;
  }
  return all.reverse().filter((p) => p.type === '');
}

function seen(p: PostJson): SeenPost {
  return {
    id: p.id,
    tag: TAG_PATTERN.exec(p.message)?.[0] ?? '',
    message: p.message,
    rootId: p.root_id,
    createAt: p.create_at,
    userId: p.user_id,
    reactions: (p.metadata?.reactions ?? []).map((r) => `${r.user_id}:${r.emoji_name}`).sort(),
    acks: (p.metadata?.acknowledgements ?? []).map((a) => a.user_id).sort(),
    fileIds: [...((p as { file_ids?: string[] }).file_ids ?? [])].sort(),
  };
}

const fingerprint = (p: SeenPost) => JSON.stringify([p.id, p.message, p.rootId, p.createAt, p.userId, p.reactions, p.acks, p.fileIds]);

export interface CheckOptions {
  /**
   * Files already served with the right SHA-256, as `cluster/fileId`: a file's bytes never change under its id, so
   * later passes only check that the post still lists it. The caller keeps it across passes; the check adds to it.
   */
  verifiedFiles?: Set<string>;
  /** Downloads in flight at once (default 8): one at a time made a pass of a long run take minutes. */
  downloadConcurrency?: number;
  /**
   * Epoch ms (the convergence bound): a pass still running then stops where it is and reports a `bound` violation
   * with what it found so far, instead of overrunning the bound by a whole pass.
   */
  deadline?: number;
}

/** Thrown inside a pass at its deadline; never leaves `check`. */
class PassCut extends Error {}

/** Runs `tasks` with at most `limit` in flight; stops starting new ones once `stop()` says so. */
async function pool(tasks: (() => Promise<void>)[], limit: number, stop: () => boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && !stop()) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
}

/**
 * Checks every cluster against the ledger and against each other:
 *  - each acknowledged, undeleted post exactly once on every cluster (by id and by tag), with its id, author,
 *    create_at, root and final message; each acknowledged deletion applied everywhere;
 *  - acknowledged reactions and acknowledgements present, acknowledged removals absent;
 *  - every attachment of an acknowledged post listed and served with the SHA-256 that was uploaded;
 *  - no post the workload never wrote (a tag it does not know), no post of a rejected write;
 *  - per channel, the listing in create_at order and the same list (ids, messages, reactions) on every cluster,
 *    which also settles writes whose outcome was unknown;
 *  - no user twice on a cluster (the same workload user under two ids);
 *  - per channel of the ledger, the same members on every cluster, the workload's members among them;
 *  - no write answered 2xx where it must be refused (a read-only share's remote side).
 * The clusters are read side by side; see `CheckOptions` for what later passes skip and the deadline.
 */
export async function check(
  clusters: ClusterView[],
  channelIds: string[],
  ledger: Ledger,
  usernames: string[],
  options: CheckOptions = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const add = (kind: string, detail: string) => violations.push({ kind, detail });
  const verified = options.verifiedFiles ?? new Set<string>();
  const pastDeadline = () => options.deadline !== undefined && Date.now() > options.deadline;
  let step = 'starting';
  const checkpoint = (next: string) => {
    if (pastDeadline()) throw new PassCut();
    step = next;
  };
  try {
    await checkAll(clusters, channelIds, ledger, usernames, add, verified, options.downloadConcurrency ?? 8, checkpoint, pastDeadline);
    // A download that finished past the deadline still counts; only an unfinished pass is cut.
    return violations;
  } catch (err) {
    if (!(err instanceof PassCut)) throw err;
    add(
      'bound',
      `the pass ran past the convergence bound and was cut while ${step}; the violations above are only what it found until then`,
    );
    return violations;
  }
}

async function checkAll(
  clusters: ClusterView[],
  channelIds: string[],
  ledger: Ledger,
  usernames: string[],
  add: (kind: string, detail: string) => void,
  verified: Set<string>,
  downloadConcurrency: number,
  checkpoint: (step: string) => void,
  pastDeadline: () => boolean,
): Promise<void> {
  const byTag = new Map([...ledger.posts.values()].map((p) => [p.tag, p]));
  const byId = new Map([...ledger.posts.values()].filter((p) => p.id).map((p) => [p.id!, p]));
  const byChannel = new Map<string, PostRecord[]>();
  for (const record of ledger.posts.values()) byChannel.set(record.channelId, [...(byChannel.get(record.channelId) ?? []), record]);

  for (const channelId of channelIds) {
    checkpoint(`reading channel ${channelId}`);
    const views = new Map<string, SeenPost[]>();
    const here = holding(clusters, ledger, channelId);
    const read = await Promise.all(here.map(async (cluster) => (await readChannel(reader(cluster, channelId), channelId)).map(seen)));
    const downloads: (() => Promise<string | undefined>)[] = [];
    here.forEach((cluster, index) => {
      const posts = read[index];
      views.set(cluster.name, posts);
      for (let i = 1; i < posts.length; i++) {
        if (posts[i].createAt < posts[i - 1].createAt) {
          add(
            'order',
            `${cluster.name} channel ${channelId}: ${posts[i].id} (${posts[i].createAt}) listed after ${posts[i - 1].id} (${posts[i - 1].createAt})`,
          );
        }
      }
      const ids = new Map<string, number>();
      const tags = new Map<string, number>();
      for (const p of posts) {
        ids.set(p.id, (ids.get(p.id) ?? 0) + 1);
        tags.set(p.tag, (tags.get(p.tag) ?? 0) + 1);
        const record = byTag.get(p.tag);
        if (!record || record.channelId !== channelId)
          add('phantom', `${cluster.name} channel ${channelId}: post ${p.id} "${p.message}" was never written here`);
      }
      for (const [id, n] of ids) if (n > 1) add('duplicate', `${cluster.name} channel ${channelId}: post ${id} listed ${n} times`);
      for (const [tag, n] of tags) if (n > 1) add('duplicate', `${cluster.name} channel ${channelId}: ${tag} appears as ${n} posts`);
      const found = new Map(posts.map((p) => [p.tag, p]));
      for (const record of byChannel.get(channelId) ?? []) {
        checkPost(cluster.name, record, found.get(record.tag), threadDeleted(record, byId), add);
        const post = found.get(record.tag);
        if (post && record.created === 'acked' && record.deleted !== 'acked')
          downloads.push(...checkFiles(cluster, record, post, add, verified));
      }
    });
    // In list order, so that the report reads the same whatever order the downloads finished in.
    const problems: (string | undefined)[] = new Array(downloads.length);
    checkpoint(`fetching ${downloads.length} files of channel ${channelId}`);
    await pool(
      downloads.map((download, i) => async () => {
        problems[i] = await download();
      }),
      downloadConcurrency,
      pastDeadline,
    );
    checkpoint(`comparing channel ${channelId} across the clusters`);
    for (const problem of problems) if (problem) add('file', problem);

    const [first, ...others] = here;
    const reference = views.get(first.name)!.map(fingerprint);
    for (const other of others) {
      const theirs = views.get(other.name)!.map(fingerprint);
      const missing = reference.filter((f) => !theirs.includes(f));
      const extra = theirs.filter((f) => !reference.includes(f));
      if (missing.length || extra.length || reference.join() !== theirs.join()) {
        add(
          'diverged',
          `channel ${channelId}: ${first.name} and ${other.name} differ (${missing.length} only on ${first.name}, ${extra.length} only on ${other.name}` +
            `${missing.length + extra.length === 0 ? ', same posts in another order' : ''})` +
            (missing[0] ? `; e.g. ${first.name} has ${missing[0]}` : '') +
            (extra[0] ? `; e.g. ${other.name} has ${extra[0]}` : ''),
        );
      }
    }
  }

  for (const channel of ledger.channels) {
    checkpoint(`reading the members of channel ${channel.id}`);
    const here = holding(clusters, ledger, channel.id);
    const read = await Promise.all(here.map((cluster) => listMembers(reader(cluster, channel.id), channel.id)));
    const sets = new Map(here.map((cluster, index) => [cluster.name, read[index]]));
    for (const cluster of here) {
      const members = sets.get(cluster.name)!;
      for (const id of channel.members) {
        if (!members.includes(id)) add('membership', `${cluster.name} ${channel.kind} channel ${channel.id}: member ${id} missing`);
      }
    }
    const [first, ...others] = here;
    const reference = sets.get(first.name)!.join();
    for (const other of others) {
      if (sets.get(other.name)!.join() !== reference) {
        const theirs = sets.get(other.name)!;
        const ours = sets.get(first.name)!;
        add(
          'membership',
          `${channel.kind} channel ${channel.id}: members differ between ${first.name} and ${other.name}` +
            ` (only on ${first.name}: ${ours.filter((id) => !theirs.includes(id)).join(' ') || '-'};` +
            ` only on ${other.name}: ${theirs.filter((id) => !ours.includes(id)).join(' ') || '-'})`,
        );
      }
    }
  }
  for (const detail of ledger.readonlyAccepted) add('readonly-accepted', detail);

  checkpoint('reading the users');
  const userLists = await Promise.all(clusters.map((cluster) => listUsers(cluster.api)));
  clusters.forEach((cluster, index) => {
    const counts = new Map<string, number>();
    for (const u of userLists[index]) {
      // A remote user may be shown as `name:remote`; the workload's names are unique across clusters.
      const base = u.username.split(':')[0];
      if (usernames.includes(base)) counts.set(base, (counts.get(base) ?? 0) + 1);
    }
    for (const [name, n] of counts) if (n > 1) add('duplicate-user', `${cluster.name}: user ${name} exists ${n} times`);
  });
}

/**
 * Deleting a thread's root deletes its replies, also a reply written on another cluster while the deletion was on
 * its way: such a reply may be gone although its creation was acknowledged (every cluster must agree, though).
 */
function threadDeleted(record: PostRecord, byId: Map<string, PostRecord>): boolean {
  if (!record.rootId) return false;
  const root = byId.get(record.rootId);
  return root !== undefined && root.deleted !== 'no';
}

function checkPost(
  cluster: string,
  record: PostRecord,
  post: SeenPost | undefined,
  rootDeleted: boolean,
  add: (kind: string, detail: string) => void,
): void {
  const where = `${cluster} channel ${record.channelId}: ${record.tag}${record.id ? ` (${record.id})` : ''}`;
  if (record.created === 'uncertain') {
    // Either outcome is allowed; that all clusters agree is checked by comparing them.
    return;
  }
  if (record.deleted === 'acked') {
    if (post) add('not-deleted', `${where} was deleted on ${record.cluster} but is still shown`);
    return;
  }
  if (!post) {
    if (record.deleted === 'no' && !rootDeleted) add('lost', `${where} acknowledged on ${record.cluster} is missing`);
    return;
  }
  if (post.id !== record.id) add('wrong-id', `${where} shown with id ${post.id}`);
  if (post.createAt !== record.createAt) add('create_at', `${where} create_at ${post.createAt}, acknowledged ${record.createAt}`);
  if (post.rootId !== record.rootId) add('thread', `${where} root "${post.rootId}", acknowledged "${record.rootId}"`);
  if (post.userId !== record.authorId) add('author', `${where} by ${post.userId}, written by ${record.authorId}`);
  const allowed = [record.message, ...record.pendingMessages];
  if (!allowed.includes(post.message)) add('edit', `${where} shows "${post.message}", expected "${record.message}"`);
  for (const [key, state] of record.reactions) {
    const has = post.reactions.includes(key);
    if (state === 'on' && !has) add('reaction-lost', `${where} lacks reaction ${key}`);
    if (state === 'off' && has) add('reaction-kept', `${where} still has removed reaction ${key}`);
  }
  for (const [userId, state] of record.acks) {
    const has = post.acks.includes(userId);
    if (state === 'on' && !has) add('ack-lost', `${where} lacks the acknowledgement of ${userId}`);
    if (state === 'off' && has) add('ack-kept', `${where} still has the removed acknowledgement of ${userId}`);
  }
}

/**
 * Every attachment of the post listed on it (checked now) and served by the cluster with the bytes that were
 * uploaded: one download task per file not yet verified on this cluster, each giving a problem or undefined.
 */
function checkFiles(
  cluster: ClusterView,
  record: PostRecord,
  post: SeenPost,
  add: (kind: string, detail: string) => void,
  verified: Set<string>,
): (() => Promise<string | undefined>)[] {
  const where = `${cluster.name} channel ${record.channelId}: ${record.tag} (${record.id})`;
  const api = reader(cluster, record.channelId);
  const download = cluster.download ?? (async (id: string) => (await downloadSha256(api.url, api.token!, id))?.sha256);
  const tasks: (() => Promise<string | undefined>)[] = [];
  for (const file of record.files) {
    if (!post.fileIds.includes(file.id)) {
      add('file', `${where} does not list its file ${file.id}`);
      continue;
    }
    const key = `${cluster.name}/${file.id}`;
    if (verified.has(key)) continue;
    tasks.push(async () => {
      const sha256 = await download(file.id, record.channelId);
      if (sha256 === undefined) return `${where}: file ${file.id} is not served`;
      if (sha256 !== file.sha256) return `${where}: file ${file.id} has SHA-256 ${sha256}, uploaded ${file.sha256}`;
      verified.add(key);
      return undefined;
    });
  }
  return tasks;
}

/** User ids of a channel's members, sorted. */
async function listMembers(client: Api, channelId: string): Promise<string[]> {
  const all: string[] = [];
  for (let page = 0; ; page++) {
    const members = await client.get<{ user_id: string }[]>(`/channels/${channelId}/members?page=${page}&per_page=200`);
    all.push(...members.map((m) => m.user_id));
    if (members.length < 200) break;
  }
  return all.sort();
}

async function listUsers(client: Api): Promise<{ id: string; username: string }[]> {
  const all: { id: string; username: string }[] = [];
  for (let page = 0; ; page++) {
    const users = await client.get<{ id: string; username: string }[]>(`/users?page=${page}&per_page=200`);
    all.push(...users);
    if (users.length < 200) break;
  }
  return all;
}
