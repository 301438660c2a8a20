import type { Api, PostJson } from '@fedchat/testing';
import { check } from '../chaos/checker';
import { Ledger, PostRecord } from '../chaos/ledger';

/*
 * The reliability checker against clusters it reads through a stub API: it must pass what converged and name each
 * kind of broken promise (lost, duplicated, misordered, stale edit, kept deletion, lost reaction, diverged, phantom,
 * duplicate user).
 */

const CHANNEL = 'channel1';

function post(id: string, tag: string, createAt: number, extra: Partial<PostJson> = {}): PostJson {
  return {
    id,
    create_at: createAt,
    update_at: createAt,
    edit_at: 0,
    delete_at: 0,
    user_id: 'u1',
    channel_id: CHANNEL,
    root_id: '',
    message: `${tag} post`,
    type: '',
    props: {},
    ...extra,
  };
}

/** A cluster showing `posts` (oldest first), `users`, and `members` of every channel. */
function stubApi(posts: PostJson[], users = [{ id: 'u1', username: 'a-user0' }], members = ['u1']): Api {
  const get = async (path: string): Promise<unknown> => {
    if (/^\/channels\/[^/]+\/members\?/.test(path)) return members.map((user_id) => ({ user_id }));
    if (path.startsWith(`/channels/${CHANNEL}/posts`)) {
      const newestFirst = [...posts].reverse();
      return { order: newestFirst.map((p) => p.id), posts: Object.fromEntries(posts.map((p) => [p.id, p])) };
    }
    if (path.startsWith('/users?')) return users;
    throw new Error(`unexpected ${path}`);
  };
  return { url: 'stub', get } as unknown as Api;
}

function record(tag: string, id: string, createAt: number, extra: Partial<PostRecord> = {}): PostRecord {
  return {
    tag,
    id,
    channelId: CHANNEL,
    rootId: '',
    authorId: 'u1',
    cluster: 'a',
    createAt,
    created: 'acked',
    message: `${tag} post`,
    pendingMessages: [],
    deleted: 'no',
    reactions: new Map(),
    acks: new Map(),
    files: [],
    ...extra,
  };
}

function ledgerOf(...records: PostRecord[]): Ledger {
  const ledger = new Ledger();
  for (const r of records) ledger.posts.set(r.tag, r);
  return ledger;
}

/** What each cluster serves: SHA-256 by file id. */
type Served = Record<string, string>;

const run = (
  a: PostJson[],
  b: PostJson[],
  ledger: Ledger,
  usersB?: { id: string; username: string }[],
  more: { membersB?: string[]; filesA?: Served; filesB?: Served } = {},
) =>
  check(
    [
      { name: 'a', api: stubApi(a), download: async (id) => more.filesA?.[id] },
      { name: 'b', api: stubApi(b, usersB, more.membersB), download: async (id) => more.filesB?.[id] },
    ],
    [CHANNEL],
    ledger,
    ['a-user0'],
  );

const kinds = async (p: ReturnType<typeof run>) => [...new Set((await p).map((v) => v.kind))].sort();

describe('chaos checker', () => {
  const p1 = post('p1', '[a-user0#1]', 100);
  const p2 = post('p2', '[a-user0#2]', 200);
  const ledger = () => ledgerOf(record('[a-user0#1]', 'p1', 100), record('[a-user0#2]', 'p2', 200));

  it('passes clusters that agree with the ledger', async () => {
    expect(await run([p1, p2], [p1, p2], ledger())).toEqual([]);
  });

  it('reports an acknowledged post missing on one cluster', async () => {
    expect(await kinds(run([p1, p2], [p1], ledger()))).toEqual(['diverged', 'lost']);
  });

  it('reports a post shown twice, by id or as two posts with the same tag', async () => {
    expect(await kinds(run([p1, p2], [p1, p2, p2], ledger()))).toContain('duplicate');
    expect(await kinds(run([p1, p2], [p1, p2, post('p3', '[a-user0#2]', 300)], ledger()))).toContain('duplicate');
  });

  it('reports a listing out of create_at order', async () => {
    expect(await kinds(run([p1, p2], [p2, p1], ledger()))).toEqual(['diverged', 'order']);
  });

  it('reports a stale edit, but accepts an edit whose outcome was unknown', async () => {
    const edited = ledgerOf(record('[a-user0#1]', 'p1', 100, { message: '[a-user0#1] edit 7' }), record('[a-user0#2]', 'p2', 200));
    expect(await kinds(run([p1, p2], [p1, p2], edited))).toEqual(['edit']);
    const unknown = ledgerOf(
      record('[a-user0#1]', 'p1', 100, { pendingMessages: ['[a-user0#1] edit 7'] }),
      record('[a-user0#2]', 'p2', 200),
    );
    const shown = { ...p1, message: '[a-user0#1] edit 7' };
    expect(await run([shown, p2], [shown, p2], unknown)).toEqual([]);
  });

  it('reports a deletion not applied on a cluster', async () => {
    const deleted = ledgerOf(record('[a-user0#1]', 'p1', 100, { deleted: 'acked' }), record('[a-user0#2]', 'p2', 200));
    expect(await kinds(run([p2], [p1, p2], deleted))).toEqual(['diverged', 'not-deleted']);
  });

  it('reports a lost reaction and a removed one still shown', async () => {
    const reactions = new Map([
      ['u1:smile', 'on' as const],
      ['u1:heart', 'off' as const],
    ]);
    const withReactions = ledgerOf(record('[a-user0#1]', 'p1', 100, { reactions }), record('[a-user0#2]', 'p2', 200));
    const shown = (emoji: string) => ({ ...p1, metadata: { reactions: [{ user_id: 'u1', post_id: 'p1', emoji_name: emoji }] } });
    expect(await kinds(run([shown('smile'), p2], [shown('smile'), p2], withReactions))).toEqual([]);
    expect(await kinds(run([shown('heart'), p2], [shown('heart'), p2], withReactions))).toEqual(['reaction-kept', 'reaction-lost']);
  });

  it('reports a lost acknowledgement and a removed one still shown', async () => {
    const acks = new Map([
      ['u1', 'on' as const],
      ['u2', 'off' as const],
    ]);
    const withAcks = ledgerOf(record('[a-user0#1]', 'p1', 100, { acks }), record('[a-user0#2]', 'p2', 200));
    const shown = (userId: string) => ({ ...p1, metadata: { acknowledgements: [{ user_id: userId, post_id: 'p1', acknowledged_at: 5 }] } });
    expect(await run([shown('u1'), p2], [shown('u1'), p2], withAcks)).toEqual([]);
    expect(await kinds(run([shown('u1'), p2], [shown('u2'), p2], withAcks))).toEqual(['ack-kept', 'ack-lost', 'diverged']);
  });

  it('reports an attachment not listed, not served, or served with other bytes', async () => {
    const files = [{ id: 'f1', sha256: 'good' }];
    const withFile = ledgerOf(record('[a-user0#1]', 'p1', 100, { files }), record('[a-user0#2]', 'p2', 200));
    const shown = { ...p1, file_ids: ['f1'] } as PostJson;
    expect(await run([shown, p2], [shown, p2], withFile, undefined, { filesA: { f1: 'good' }, filesB: { f1: 'good' } })).toEqual([]);
    const notServed = await run([shown, p2], [shown, p2], withFile, undefined, { filesA: { f1: 'good' } });
    expect(notServed.map((v) => v.detail)).toEqual([expect.stringContaining('f1 is not served')]);
    const otherBytes = await run([shown, p2], [shown, p2], withFile, undefined, { filesA: { f1: 'good' }, filesB: { f1: 'bad' } });
    expect(otherBytes.map((v) => v.detail)).toEqual([expect.stringContaining('SHA-256 bad')]);
    expect(await kinds(run([shown, p2], [p1, p2], withFile, undefined, { filesA: { f1: 'good' }, filesB: { f1: 'good' } }))).toEqual([
      'diverged',
      'file',
    ]);
  });

  it("reports a channel's members differing between clusters or lacking a workload member", async () => {
    const withChannel = ledger();
    withChannel.channels.push({ id: CHANNEL, kind: 'private', home: 'a', members: ['u1'], clusters: ['a', 'b'] });
    expect(await run([p1, p2], [p1, p2], withChannel, undefined, { membersB: ['u1'] })).toEqual([]);
    const missing = await run([p1, p2], [p1, p2], withChannel, undefined, { membersB: ['u2'] });
    expect(missing.map((v) => v.kind)).toEqual(['membership', 'membership']);
    expect(missing[0].detail).toContain('member u1 missing');
    expect(missing[1].detail).toContain('only on b: u2');
  });

  it('reports a write accepted on the remote side of a read-only share', async () => {
    const accepted = ledger();
    accepted.noteWrite({ id: CHANNEL, kind: 'readonly', home: 'a', members: [], clusters: ['a', 'b'] }, 'a', 'acked');
    accepted.noteWrite({ id: CHANNEL, kind: 'readonly', home: 'a', members: [], clusters: ['a', 'b'] }, 'b', 'rejected');
    expect(await run([p1, p2], [p1, p2], accepted)).toEqual([]);
    accepted.noteWrite({ id: CHANNEL, kind: 'readonly', home: 'a', members: [], clusters: ['a', 'b'] }, 'b', 'acked');
    expect(await kinds(run([p1, p2], [p1, p2], accepted))).toEqual(['readonly-accepted']);
  });

  it('reports a post nobody wrote (a refused creation is not in the ledger either)', async () => {
    expect(await kinds(run([p1, p2, post('x', '[b-user0#9]', 300)], [p1, p2, post('x', '[b-user0#9]', 300)], ledger()))).toEqual([
      'phantom',
    ]);
  });

  it('accepts a post whose creation outcome was unknown, shown everywhere or nowhere, but not on one cluster only', async () => {
    const uncertain = ledgerOf(record('[a-user0#1]', 'p1', 100), record('[a-user0#2]', '', 0, { id: undefined, created: 'uncertain' }));
    expect(await run([p1, p2], [p1, p2], uncertain)).toEqual([]);
    expect(await run([p1], [p1], uncertain)).toEqual([]);
    expect(await kinds(run([p1, p2], [p1], uncertain))).toEqual(['diverged']);
  });

  it('accepts a reply gone with its deleted root, but not gone on one cluster only', async () => {
    const thread = ledgerOf(
      record('[a-user0#1]', 'p1', 100, { deleted: 'acked' }),
      record('[a-user0#2]', 'p2', 200, { rootId: 'p1' }),
      record('[a-user0#3]', 'p3', 300),
    );
    const p3 = post('p3', '[a-user0#3]', 300);
    const reply = { ...p2, root_id: 'p1' };
    expect(await run([p3], [p3], thread)).toEqual([]);
    expect(await kinds(run([p3], [reply, p3], thread))).toEqual(['diverged']);
  });

  it('reports the same user twice on a cluster', async () => {
    const twice = [
      { id: 'u1', username: 'a-user0' },
      { id: 'u9', username: 'a-user0:peer-a' },
    ];
    expect(await kinds(run([p1, p2], [p1, p2], ledger(), twice))).toEqual(['duplicate-user']);
  });
});

describe('chaos checker, passes of a long run', () => {
  /** Posts p0..p(n-1), each with one file f0..f(n-1), and the ledger of them. */
  const withFiles = (n: number) => {
    const posts = Array.from({ length: n }, (_, i) => ({ ...post(`p${i}`, `[a-user0#${i}]`, 100 + i), file_ids: [`f${i}`] }) as PostJson);
    const ledger = ledgerOf(
      ...posts.map((p, i) => record(`[a-user0#${i}]`, p.id, p.create_at, { files: [{ id: `f${i}`, sha256: `sha-${i}` }] })),
    );
    return { posts, ledger };
  };

  /**
   * A cluster whose downloads are counted (in `stats`, which clusters may share), take `delayMs` each, and serve
   * `served` (the right bytes by default).
   */
  const counted = (
    name: string,
    posts: PostJson[],
    delayMs = 0,
    served: (id: string) => string | undefined = (id) => `sha-${id.slice(1)}`,
    stats = { downloads: 0, inFlight: 0, maxInFlight: 0 },
  ) => {
    const view = {
      name,
      api: stubApi(posts),
      download: async (id: string) => {
        stats.downloads++;
        stats.inFlight++;
        stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
        await new Promise((r) => setTimeout(r, delayMs));
        stats.inFlight--;
        return served(id);
      },
    };
    return { view, stats };
  };

  it('fetches a file verified on a cluster only once over many passes, and a wrong one again', async () => {
    const { posts, ledger } = withFiles(3);
    // On b, f1 is served with other bytes: it must be fetched (and reported) on every pass.
    const a = counted('a', posts);
    const b = counted('b', posts, 0, (id) => (id === 'f1' ? 'bad' : `sha-${id.slice(1)}`));
    const verifiedFiles = new Set<string>();
    for (let pass = 0; pass < 3; pass++) {
      const found = await check([a.view, b.view], [CHANNEL], ledger, ['a-user0'], { verifiedFiles });
      expect(found.map((v) => v.detail)).toEqual([expect.stringContaining('file f1 has SHA-256 bad')]);
    }
    expect(a.stats.downloads).toBe(3);
    expect(b.stats.downloads).toBe(2 + 3);
    // A post that stops listing a verified file is still reported: only the download is skipped.
    const unlisted = posts.map((p) => (p.id === 'p0' ? { ...p, file_ids: [] } : p));
    const found = await check([{ ...a.view, api: stubApi(unlisted) }, b.view], [CHANNEL], ledger, ['a-user0'], { verifiedFiles });
    expect(found.map((v) => v.detail)).toEqual(
      expect.arrayContaining([expect.stringContaining('does not list its file f0'), expect.stringContaining('file f1 has SHA-256 bad')]),
    );
  });

  it('fetches files several at a time, at most downloadConcurrency', async () => {
    const { posts, ledger } = withFiles(12);
    const a = counted('a', posts, 20);
    const b = counted('b', posts, 20, undefined, a.stats);
    expect(await check([a.view, b.view], [CHANNEL], ledger, ['a-user0'], { downloadConcurrency: 4 })).toEqual([]);
    expect(a.stats.downloads).toBe(24);
    expect(a.stats.maxInFlight).toBe(4);
    // Eight at a time unless told otherwise.
    const c = counted('a', posts, 20);
    await check([c.view, counted('b', posts, 20, undefined, c.stats).view], [CHANNEL], ledger, ['a-user0']);
    expect(c.stats.maxInFlight).toBe(8);
  });

  it('cuts a pass that runs past its deadline and says so', async () => {
    const { posts, ledger } = withFiles(40);
    const a = counted('a', posts, 50);
    const b = counted('b', posts, 50);
    const started = Date.now();
    const found = await check([a.view, b.view], [CHANNEL], ledger, ['a-user0'], { downloadConcurrency: 2, deadline: started + 200 });
    // 80 downloads of 50 ms, two at a time, would take 2 s; the pass stops starting them at the deadline.
    expect(a.stats.downloads + b.stats.downloads).toBeLessThan(80);
    expect(found.map((v) => v.kind)).toEqual(['bound']);
    expect(found[0].detail).toContain(`fetching 80 files of channel ${CHANNEL}`);
    // A deadline already past: nothing is read at all.
    expect((await check([a.view, b.view], [CHANNEL], ledger, ['a-user0'], { deadline: Date.now() - 1 })).map((v) => v.kind)).toEqual([
      'bound',
    ]);
  });
});
