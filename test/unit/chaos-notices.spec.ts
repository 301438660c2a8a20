import type { Api, PostJson } from '@fedchat/testing';
import { NoticeCounter } from '../chaos/notices';

/*
 * The partition fault's notice count, polled every second: it must count what the channels show and, after the
 * first read, ask only for what changed since (a full read of every channel each second took minutes per fault in
 * the 30-minute run).
 */

function post(id: string, updateAt: number, state?: 'interrupted' | 'resumed'): PostJson {
  return {
    id,
    create_at: updateAt,
    update_at: updateAt,
    edit_at: 0,
    delete_at: 0,
    user_id: 'u1',
    channel_id: 'c1',
    root_id: '',
    message: id,
    type: state ? 'system_sharedchannel_state' : '',
    props: state ? { sync_state: state } : {},
  };
}

/** A channel's posts served as the gateway serves `since` (changed strictly after, oldest change first, 1000 at most). */
function stubChannel(posts: PostJson[]) {
  const asked: number[] = [];
  const api = {
    url: 'stub',
    get: async (path: string) => {
      const since = Number(/[?&]since=(\d+)/.exec(path)?.[1]);
      if (!since) throw new Error(`not a since query: ${path}`);
      asked.push(since);
      const changed = posts
        .filter((p) => p.update_at > since)
        .sort((x, y) => x.update_at - y.update_at)
        .slice(0, 1000)
        .reverse();
      return { order: changed.map((p) => p.id), posts: Object.fromEntries(changed.map((p) => [p.id, p])) };
    },
  } as unknown as Api;
  return { api, asked, posts };
}

describe('chaos notice counter', () => {
  it('counts the notices once, then reads only what changed since the newest stamp it saw', async () => {
    const channel = stubChannel([post('p1', 10), post('n1', 11, 'interrupted'), post('p2', 12)]);
    const counter = new NoticeCounter([channel.api], ['c1']);
    expect(await counter.count()).toEqual({ interrupted: 1, resumed: 0 });
    channel.posts.push(post('n2', 13, 'resumed'), post('p3', 14));
    expect(await counter.count()).toEqual({ interrupted: 1, resumed: 1 });
    expect(await counter.count()).toEqual({ interrupted: 1, resumed: 1 });
    expect(channel.asked).toEqual([1, 12, 14]);
    // A notice deleted later no longer counts.
    channel.posts.push({ ...post('n1', 15, 'interrupted'), delete_at: 15 });
    expect(await counter.count()).toEqual({ interrupted: 0, resumed: 1 });
  });

  it('pages through a long channel on the first read', async () => {
    const posts = Array.from({ length: 2500 }, (_, i) => post(`p${i}`, 100 + i, i % 1000 === 999 ? 'resumed' : undefined));
    const channel = stubChannel(posts);
    expect(await new NoticeCounter([channel.api], ['c1']).count()).toEqual({ interrupted: 0, resumed: 2 });
    expect(channel.asked).toEqual([1, 1099, 2099]);
  });

  it('keeps the last counts of a channel it cannot read', async () => {
    const channel = stubChannel([post('n1', 11, 'interrupted')]);
    let down = false;
    const flaky = { url: 'stub', get: async (path: string) => (down ? Promise.reject(new Error('down')) : channel.api.get(path)) } as Api;
    const counter = new NoticeCounter([flaky, stubChannel([post('n9', 5, 'resumed')]).api], ['c1']);
    expect(await counter.count()).toEqual({ interrupted: 1, resumed: 1 });
    down = true;
    expect(await counter.count()).toEqual({ interrupted: 1, resumed: 1 });
  });
});
