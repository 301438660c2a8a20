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

/** A cluster showing `posts` (oldest first) and `users`. */
function stubApi(posts: PostJson[], users = [{ id: 'u1', username: 'a-user0' }]): Api {
  const get = async (path: string): Promise<unknown> => {
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
    ...extra,
  };
}

function ledgerOf(...records: PostRecord[]): Ledger {
  const ledger = new Ledger();
  for (const r of records) ledger.posts.set(r.tag, r);
  return ledger;
}

const run = (a: PostJson[], b: PostJson[], ledger: Ledger, usersB?: { id: string; username: string }[]) =>
  check(
    [
      { name: 'a', api: stubApi(a) },
      { name: 'b', api: stubApi(b, usersB) },
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
