import { GatewayHarness, TestUser } from '../support/gateway-harness';

/** Defects Mattermost clients and bots ran into. */
describe('fixes for Mattermost clients', () => {
  let h: GatewayHarness;
  let alice: TestUser;
  let channelId: string;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    alice = await h.signUp('alice');
    ({ channelId } = await h.channelWith([alice]));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('GET /channels/{id}/posts?since=T returns the posts changed strictly after T', async () => {
    const post = (await h.as(alice).post('/api/v4/posts').send({ channel_id: channelId, message: 'polled' }).expect(201)).body;
    // A bot polls with the newest update_at it saw: the same post must not come back forever.
    const same = await h.as(alice).get(`/api/v4/channels/${channelId}/posts?since=${post.update_at}`).expect(200);
    expect(same.body.order).toEqual([]);
    const before = await h
      .as(alice)
      .get(`/api/v4/channels/${channelId}/posts?since=${post.update_at - 1}`)
      .expect(200);
    expect(before.body.order).toEqual([post.id]);
  });

  it('reads repeated slashes in an API path as one, for every method, keeping the query', async () => {
    const post = (await h.as(alice).post('/api/v4/posts').send({ channel_id: channelId, message: 'react to me' }).expect(201)).body;
    await h.as(alice).post('/api/v4//reactions').send({ user_id: alice.id, post_id: post.id, emoji_name: 'tada' }).expect(201);
    const reactions = await h.as(alice).get(`/api/v4/posts/${post.id}//reactions`).expect(200);
    expect(reactions.body.map((r: { emoji_name: string }) => r.emoji_name)).toEqual(['tada']);
    const paged = await h.as(alice).get(`/api/v4//channels/${channelId}///posts?per_page=1`).expect(200);
    expect(paged.body.order).toHaveLength(1);
    await h.as(alice).delete(`/api/v4/users/${alice.id}/posts/${post.id}//reactions/tada`).expect(200);
    expect((await h.as(alice).get(`/api/v4/posts/${post.id}/reactions`).expect(200)).body).toEqual([]);
  });
});
