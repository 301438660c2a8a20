import { createHash, randomBytes } from 'node:crypto';
import { FederatedCluster, PostJson, TestUser, uploadFile, waitFor } from '@fedchat/testing';
import { ChannelKind, ChannelRecord, Ledger, OpKind, outcomeOf, PostRecord } from './ledger';
import { Prng } from './prng';

/**
 * The workload: shared channels of every kind (public, private, one read-only, one DM and one GM with remote
 * users) and users on every cluster writing at a steady rate, each write's outcome in the ledger.
 */

const EMOJIS = ['smile', 'thumbsup', 'heart', 'tada'];

export interface Actor {
  cluster: FederatedCluster;
  user: TestUser;
  prng: Prng;
  written: number;
  /** Channels this user is a member of (the workload writes only there). */
  channels: ChannelRecord[];
}

/** One write through `/api/v4` with a deadline, as a client would: no answer in time is an unknown outcome. */
export async function call<T>(cluster: FederatedCluster, token: string, method: string, path: string, body?: unknown) {
  try {
    const res = await fetch(`${cluster.url}/api/v4${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status as number | undefined, body: parsed as T };
  } catch (err) {
    // Nothing listening (the cluster is down): the request was never sent, so it certainly had no effect.
    const refused = (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
    return { status: refused ? 0 : undefined, body: undefined as T };
  }
}

/** Calls that answer what the workload was told at once (the write's acknowledgement), for the load's delay figures. */
export type OnAcked = (postId: string, at: number) => void;

/**
 * One write chosen by the actor's generator; its outcome goes into the ledger. Mix: new post 30%, post with a file
 * 8%, reply 14%, edit 14%, delete 5%, reaction 12%, reaction removed 7%, acknowledgement 6%, acknowledgement
 * removed 4%.
 */
export async function act(actor: Actor, ledger: Ledger, onAcked?: OnAcked): Promise<void> {
  const { prng, user, cluster } = actor;
  const channel = prng.pick(actor.channels);
  const channelId = channel.id;
  const live = ledger.livePosts(channelId);
  const mine = live.filter((p) => p.authorId === user.id && p.cluster === cluster.name);
  const roll = prng.next();
  const mix: [number, OpKind][] = [
    [0.3, 'post'],
    [0.38, 'attach'],
    [0.52, 'reply'],
    [0.66, 'edit'],
    [0.71, 'delete'],
    [0.83, 'react'],
    [0.9, 'unreact'],
    [0.96, 'ack'],
    [1, 'unack'],
  ];
  let kind = mix.find(([limit]) => roll < limit)?.[1] ?? 'post';
  if ((kind === 'edit' || kind === 'delete') && mine.length === 0) kind = 'post';
  if (['reply', 'react', 'unreact', 'ack', 'unack'].includes(kind) && live.length === 0) kind = 'post';

  if (kind === 'post' || kind === 'reply' || kind === 'attach') {
    const roots = live.filter((p) => p.rootId === '');
    const root = kind === 'reply' ? prng.pick(roots.length ? roots : live) : undefined;
    const rootId = root ? root.rootId || root.id! : '';
    const tag = `[${user.username}#${++actor.written}]`;
    const message = `${tag} ${kind}`;
    const files: { id: string; sha256: string }[] = [];
    if (kind === 'attach') {
      // A small file of seeded size (its bytes random): uploaded first, as a client does, then posted with.
      const content = randomBytes(prng.int(1, 48) * 1024);
      try {
        const uploaded = await uploadFile(cluster.url, user.token, channelId, `${tag.slice(1, -1)}.bin`, content);
        files.push({ id: uploaded.id, sha256: createHash('sha256').update(content).digest('hex') });
      } catch {
        // The upload alone failed: nothing was posted, and a file no post names is not part of the promise.
        ledger.count('attach', 'rejected');
        return;
      }
    }
    const res = await call<PostJson>(cluster, user.token, 'POST', '/posts', {
      channel_id: channelId,
      message,
      root_id: rootId,
      ...(files.length ? { file_ids: files.map((f) => f.id) } : {}),
    });
    const outcome = outcomeOf(res.status);
    ledger.count(kind, outcome);
    ledger.noteWrite(channel, cluster.name, outcome);
    if (outcome === 'rejected') return;
    const record: PostRecord = {
      tag,
      channelId,
      rootId,
      authorId: user.id,
      cluster: cluster.name,
      created: outcome === 'acked' ? 'acked' : 'uncertain',
      message,
      pendingMessages: [],
      deleted: 'no',
      reactions: new Map(),
      acks: new Map(),
      files,
    };
    if (outcome === 'acked') {
      record.id = res.body.id;
      record.createAt = res.body.create_at;
      onAcked?.(res.body.id, Date.now());
    }
    ledger.posts.set(tag, record);
    return;
  }

  if (kind === 'edit') {
    const post = prng.pick(mine);
    const message = `${post.tag} edit ${prng.int(0, 1_000_000)}`;
    const res = await call(cluster, user.token, 'PUT', `/posts/${post.id}/patch`, { message });
    const outcome = outcomeOf(res.status);
    ledger.count(kind, outcome);
    ledger.noteWrite(channel, cluster.name, outcome);
    if (outcome === 'acked') {
      post.message = message;
      post.pendingMessages = [];
    } else if (outcome === 'uncertain') {
      post.pendingMessages.push(message);
    }
    return;
  }

  if (kind === 'delete') {
    const post = prng.pick(mine);
    const res = await call(cluster, user.token, 'DELETE', `/posts/${post.id}`);
    const outcome = outcomeOf(res.status);
    ledger.count(kind, outcome);
    ledger.noteWrite(channel, cluster.name, outcome);
    if (outcome !== 'rejected') post.deleted = outcome === 'acked' ? 'acked' : 'uncertain';
    return;
  }

  const post = prng.pick(live);
  if (kind === 'ack' || kind === 'unack') {
    const res = await call(cluster, user.token, kind === 'ack' ? 'POST' : 'DELETE', `/users/${user.id}/posts/${post.id}/ack`);
    const outcome = outcomeOf(res.status);
    ledger.count(kind, outcome);
    // Acknowledging is reading, allowed also where one may not write (a read-only share).
    if (outcome === 'acked') post.acks.set(user.id, kind === 'ack' ? 'on' : 'off');
    else if (outcome === 'uncertain') post.acks.set(user.id, 'unknown');
    return;
  }
  const emoji = prng.pick(EMOJIS);
  const key = `${user.id}:${emoji}`;
  const res =
    kind === 'react'
      ? await call(cluster, user.token, 'POST', '/reactions', { user_id: user.id, post_id: post.id, emoji_name: emoji })
      : await call(cluster, user.token, 'DELETE', `/users/${user.id}/posts/${post.id}/reactions/${emoji}`);
  const outcome = outcomeOf(res.status);
  ledger.count(kind, outcome);
  ledger.noteWrite(channel, cluster.name, outcome);
  if (outcome === 'acked') post.reactions.set(key, kind === 'react' ? 'on' : 'off');
  else if (outcome === 'uncertain') post.reactions.set(key, 'unknown');
}

const ok = async (what: string, probe: () => Promise<boolean>) =>
  waitFor(what, async () => ((await probe().catch(() => false)) ? true : undefined), 60_000, 200);

/**
 * The shared channels, all homed on the hub: `publicCount` public ones (at least one), then one private, one
 * read-only (only the hub's users may write in it; the others try and must be refused), a DM of a hub user with a
 * user of the first peer, and a GM of a hub user with a user of every peer (or two hub users with two clusters).
 * Every user joins the public, private and read-only channels; the DM and GM have their participants.
 */
export async function setUpChannels(clusters: FederatedCluster[], actors: Actor[], publicCount: number, ledger: Ledger): Promise<void> {
  const [hub, ...peers] = clusters;
  const made: { kind: ChannelKind; id: string; readonly: boolean }[] = [];
  const kinds: ChannelKind[] = [...Array.from({ length: Math.max(1, publicCount) }, () => 'public' as const), 'private', 'readonly'];
  for (const [i, kind] of kinds.entries()) {
    const channel = await hub.api().post<{ id: string }>('/channels', {
      team_id: hub.teamId,
      name: `chaos-${kind}-${i}`,
      display_name: `Chaos ${kind} ${i}`,
      type: kind === 'public' ? 'O' : 'P',
    });
    for (const peer of peers) {
      const invite = `/remotecluster/${hub.remoteIds[peer.name]}/channels/${channel.id}/invite`;
      // On a loaded machine the invitation's call to the peer can time out (500); inviting again is harmless (an
      // invitation already made is no error), as an admin would retry.
      for (let attempt = 1; ; attempt++) {
        const res = await hub.api().request('POST', invite, kind === 'readonly' ? { readonly: true } : {});
        if (res.status < 400) break;
        if (res.status < 500 || attempt === 5) throw new Error(`POST ${invite}: ${res.status} ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    made.push({ kind, id: channel.id, readonly: kind === 'readonly' });
  }
  for (const cluster of clusters) {
    for (const channel of made) {
      await ok(
        `channel ${channel.id} on ${cluster.name}`,
        async () => (await cluster.api().request('GET', `/channels/${channel.id}`)).status === 200,
      );
      for (const actor of actors.filter((a) => a.cluster === cluster)) {
        await cluster.api().post(`/channels/${channel.id}/members`, { user_id: actor.user.id });
      }
    }
  }
  for (const channel of made) {
    const record: ChannelRecord = {
      id: channel.id,
      kind: channel.kind,
      home: hub.name,
      members: actors.map((a) => a.user.id),
      clusters: clusters.map((c) => c.name),
    };
    ledger.channels.push(record);
    for (const actor of actors) actor.channels.push(record);
  }

  // The hub learns of the peers' users when they write in a shared channel (no global user sync here): one post
  // each, recorded like any other, before the DM and GM name them.
  const first = ledger.channels[0];
  for (const actor of actors.filter((a) => a.cluster !== hub)) {
    const tag = `[${actor.user.username}#${++actor.written}]`;
    const message = `${tag} hello`;
    const res = await call<PostJson>(actor.cluster, actor.user.token, 'POST', '/posts', { channel_id: first.id, message });
    if (outcomeOf(res.status) !== 'acked') throw new Error(`first post of ${actor.user.username} failed: ${res.status}`);
    ledger.count('post', 'acked');
    ledger.posts.set(tag, {
      tag,
      id: res.body.id,
      createAt: res.body.create_at,
      channelId: first.id,
      rootId: '',
      authorId: actor.user.id,
      cluster: actor.cluster.name,
      created: 'acked',
      message,
      pendingMessages: [],
      deleted: 'no',
      reactions: new Map(),
      acks: new Map(),
      files: [],
    });
  }
  for (const actor of actors.filter((a) => a.cluster !== hub)) {
    await ok(
      `${actor.user.username} known on ${hub.name}`,
      async () => (await hub.api().request('GET', `/users/${actor.user.id}`)).status === 200,
    );
  }

  const hubActors = actors.filter((a) => a.cluster === hub);
  const dmPair = [hubActors[0], actors.find((a) => a.cluster === peers[0])!];
  const gmGroup =
    peers.length >= 2
      ? [hubActors[0], ...peers.map((p) => actors.find((a) => a.cluster === p)!)]
      : [hubActors[0], hubActors[1] ?? actors.filter((a) => a.cluster === peers[0])[1], actors.find((a) => a.cluster === peers[0])!];
  for (const [kind, group] of [
    ['dm', dmPair],
    ['gm', gmGroup],
  ] as const) {
    const members = [...new Set(group.filter(Boolean))];
    if (kind === 'gm' && members.length < 3) continue; // one user per cluster and two clusters: no third member
    const creator = members[0];
    const channel = await creator.cluster.api(creator.user.token).post<{ id: string }>(
      kind === 'dm' ? '/channels/direct' : '/channels/group',
      members.map((m) => m.user.id),
    );
    for (const member of members) {
      await ok(
        `${kind} ${channel.id} on ${member.cluster.name}`,
        async () => (await member.cluster.api(member.user.token).request('GET', `/channels/${channel.id}`)).status === 200,
      );
    }
    const record: ChannelRecord = {
      id: channel.id,
      kind,
      home: hub.name,
      members: members.map((m) => m.user.id),
      clusters: [...new Set(members.map((m) => m.cluster.name))],
    };
    ledger.channels.push(record);
    for (const member of members) member.channels.push(record);
  }
}
