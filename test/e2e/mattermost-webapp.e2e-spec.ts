import type { ClientError } from '@mattermost/client';
import type { Post } from '@mattermost/types/posts';
import type { GlobalState } from '@mattermost/types/store';
import { fetchMyCategories } from 'mattermost-redux/actions/channel_categories';
import {
  fetchChannelsAndMembers,
  getChannelAndMyMember,
  markChannelAsRead,
  markChannelAsViewedOnServer,
  selectChannel,
} from 'mattermost-redux/actions/channels';
import { getClientConfig, getLicenseConfig, setServerVersion } from 'mattermost-redux/actions/general';
import { createPost, addReaction, getPosts } from 'mattermost-redux/actions/posts';
import { loadRolesIfNeeded } from 'mattermost-redux/actions/roles';
import { searchPostsWithParams } from 'mattermost-redux/actions/search';
import { selectTeam } from 'mattermost-redux/actions/teams';
import { getThread, getThreadCounts, getThreadsForCurrentTeam, updateThreadRead } from 'mattermost-redux/actions/threads';
import { autocompleteUsers, getProfilesByIds, getStatusesByIds, loadMe } from 'mattermost-redux/actions/users';
import { Client4 } from 'mattermost-redux/client';
import configureStore from 'mattermost-redux/store';
import { FEDERATION_PASSWORD, PostJson, waitFor } from '@fedchat/testing';
import { SYNC_MS } from './support/cluster-env';
import { AppWorld, startAppWorld, waitForPostOn } from './support/mattermost-apps';

/*
 * The Mattermost webapp's own client logic (npm mattermost-redux, its actions over @mattermost/client's Client4) with a
 * real redux store, against the embedded suite: the webapp's start-up order, then a user's day. Every step asserts the
 * store the webapp renders from, not only that the calls answered. The steps share the store and run in order; each is
 * its own test so that one missing endpoint shows as one failing step.
 */

/*
 * mattermost-redux's data loaders batch requests with `window.setTimeout`, and poll profiles and statuses with a
 * `window.setInterval` that runs for the page's lifetime. The browser's `window` here: Node's timers, the polling ones
 * unref'd so that they do not keep the test process alive after the suite stopped.
 */
(globalThis as { window?: unknown }).window ??= {
  setTimeout,
  clearTimeout,
  setInterval: (callback: () => void, ms: number) => setInterval(callback, ms).unref(),
  clearInterval,
};

let world: AppWorld;
let store: ReturnType<typeof configureStore>;

beforeAll(async () => {
  world = await startAppWorld();
  store = configureStore({});
  // The webapp's Client4 singleton, pointed at cluster A.
  Client4.setUrl(world.a.url);
});
afterAll(async () => {
  // Roles load only once the server version (X-Version-Id) is known: until then loadRolesIfNeeded re-schedules itself
  // every 500 ms. Were the header missing, that would keep this process alive for ever; a version ends it.
  if (store && !state().entities.general.serverVersion) store.dispatch(setServerVersion('0.0.0') as never);
  await world?.fed.stop();
});

function state(): GlobalState {
  return store.getState() as GlobalState;
}

function describeError(error: unknown): string {
  const err = error as Partial<ClientError>;
  return `${err.status_code ?? ''} ${err.url ?? ''} ${err.message ?? JSON.stringify(err)}`;
}

/** Dispatches a mattermost-redux action; returns its data and the errors it reported or logged to `state.errors`. */
async function attempt<T = unknown>(action: unknown): Promise<{ data?: T; errors: string[] }> {
  const loggedBefore = state().errors.length;
  const result = (await store.dispatch(action as never)) as { data?: T; error?: unknown } | undefined;
  const logged = state().errors.slice(loggedBefore);
  const errors = [...(result?.error ? [result.error] : []), ...logged.map((e: { error: unknown }) => e.error)];
  return { data: result?.data, errors: [...new Set(errors.map(describeError))] };
}

/**
 * Dispatches a mattermost-redux action and fails with the server's answers when the action reports an error, or when
 * it logged one (composite actions such as loadMe log their parts' failures and carry on).
 */
async function run<T = unknown>(action: unknown, what: string): Promise<T> {
  const { data, errors } = await attempt<T>(action);
  if (errors.length > 0) throw new Error(`${what} failed:\n${errors.join('\n')}`);
  return data as T;
}

/** The webapp's createPost: the post shows at once as pending, then as the server's post; returns the server's. */
async function postFromApp(post: Partial<Post>): Promise<Post> {
  const pendingId = `${state().entities.users.currentUserId}:${Date.now()}`;
  await run(createPost({ ...post, pending_post_id: pendingId } as Post), 'createPost');
  return waitFor(
    `created post ${pendingId}`,
    async () => {
      const posts = Object.values(state().entities.posts.posts);
      const failed = posts.find((p) => p.pending_post_id === pendingId && p.failed);
      if (failed) throw new Error(`createPost failed: ${JSON.stringify(state().requests.posts.createPost.error)}`);
      return posts.find((p) => p.pending_post_id === pendingId && p.id !== pendingId);
    },
    10_000,
    20,
  );
}

/** Unread messages of a channel as the webapp computes its badge: channel total minus what the member has seen. */
function unreadCount(channelId: string): number {
  const { messageCounts, myMembers } = state().entities.channels;
  return messageCounts[channelId].total - myMembers[channelId].msg_count;
}

/** The same for root posts only, the badge with collapsed threads. */
function unreadRootCount(channelId: string): number {
  const { messageCounts, myMembers } = state().entities.channels;
  return messageCounts[channelId].root - myMembers[channelId].msg_count_root;
}

describe('Mattermost webapp client logic (mattermost-redux) against the embedded suite', () => {
  it('logs in and runs loadMe: me, client config and license, teams, team members, preferences, unreads, limits', async () => {
    const me = await Client4.login('alice', FEDERATION_PASSWORD);
    expect(me.id).toBe(world.alice.id);
    // The webapp's root loads the config and license first, then loadMe (which loads them again). All three run
    // before the check, so that the store holds whatever the server could answer.
    const errors: string[] = [];
    for (const action of [getClientConfig(), getLicenseConfig(), loadMe()]) errors.push(...(await attempt(action)).errors);
    expect(errors).toEqual([]);

    const { users, general, teams, preferences, limits } = state().entities;
    expect(users.currentUserId).toBe(world.alice.id);
    expect(users.profiles[world.alice.id]).toMatchObject({ id: world.alice.id, username: 'alice' });
    expect(typeof users.profiles[world.alice.id].create_at).toBe('number');
    // Client4 reads the server version from the X-Version-Id header of every answer.
    expect(general.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(general.config).toMatchObject({ SiteURL: world.a.url, Version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(general.config.BuildNumber).toEqual(expect.any(String));
    expect(general.config.DiagnosticId).toEqual(expect.any(String));
    expect(['true', 'false']).toContain(general.license.IsLicensed);
    expect(teams.teams[world.a.teamId]).toMatchObject({ id: world.a.teamId, name: 'team-a' });
    // getMyTeamUnreads merged the team's counters into the membership.
    expect(teams.myMembers[world.a.teamId]).toMatchObject({
      team_id: world.a.teamId,
      user_id: world.alice.id,
      msg_count: expect.any(Number),
      mention_count: expect.any(Number),
    });
    expect(teams.myMembers[world.a.teamId].mention_count).toBeGreaterThanOrEqual(1);
    expect(typeof preferences.myPreferences).toBe('object');
    expect(limits.serverLimits).toEqual(expect.any(Object));
  });

  it('selects the team and loads its channels, channel members, sidebar categories and roles', async () => {
    store.dispatch(selectTeam(world.a.teamId) as never);
    await run(fetchChannelsAndMembers(world.a.teamId), 'fetchChannelsAndMembers');
    await run(fetchMyCategories(world.a.teamId), 'fetchMyCategories');

    const { channels, myMembers, channelsInTeam } = state().entities.channels;
    expect(state().entities.teams.currentTeamId).toBe(world.a.teamId);
    expect(channels[world.townId]).toMatchObject({ id: world.townId, team_id: world.a.teamId, type: 'O', name: 'town' });
    expect(channels[world.townId].shared).toBeFalsy();
    expect(channels[world.sharedId]).toMatchObject({ id: world.sharedId, team_id: world.a.teamId, name: 'peer-room', shared: true });
    expect(channels[world.dmId]).toMatchObject({ id: world.dmId, type: 'D', team_id: '' });
    expect([...channelsInTeam[world.a.teamId]]).toEqual(expect.arrayContaining([world.townId, world.sharedId]));
    for (const id of [world.townId, world.sharedId, world.dmId]) {
      expect(myMembers[id]).toMatchObject({
        channel_id: id,
        user_id: world.alice.id,
        msg_count: expect.any(Number),
        mention_count: expect.any(Number),
        mention_count_root: expect.any(Number),
        urgent_mention_count: expect.any(Number),
        last_viewed_at: expect.any(Number),
      });
      // The store keeps the channel's total_msg_count and total_msg_count_root here.
      expect(state().entities.channels.messageCounts[id]).toEqual({ total: expect.any(Number), root: expect.any(Number) });
    }
    // bob's reply and his mention of alice are unread in town (join and add messages do not count, as in Mattermost);
    // of them one root post, the mention.
    expect(unreadCount(world.townId)).toBe(2);
    expect(unreadRootCount(world.townId)).toBe(1);
    expect(myMembers[world.townId]).toMatchObject({ mention_count: 1, mention_count_root: 1, urgent_mention_count: 0 });

    const { byId, orderByTeam } = state().entities.channelCategories;
    const categories = orderByTeam[world.a.teamId].map((id) => byId[id]);
    expect(categories.map((c) => c.type)).toEqual(expect.arrayContaining(['favorites', 'channels', 'direct_messages']));
    const ofType = (type: string) => categories.find((c) => c.type === type)!;
    // New channels, the one shared from the peer too, land in "Channels"; the DM in "Direct Messages".
    expect(ofType('channels').channel_ids).toEqual(expect.arrayContaining([world.townId, world.sharedId]));
    expect(ofType('direct_messages').channel_ids).toContain(world.dmId);
    expect(ofType('favorites').channel_ids).toEqual([]);

    // The webapp loads the roles of the user, of its team membership and of its channel memberships.
    const roleNames = new Set<string>([
      ...state().entities.users.profiles[world.alice.id].roles.split(' '),
      ...state().entities.teams.myMembers[world.a.teamId].roles.split(' '),
      ...Object.values(myMembers).flatMap((m) => m.roles.split(' ')),
    ]);
    await run(loadRolesIfNeeded([...roleNames].filter(Boolean)), 'loadRolesIfNeeded');
    const { roles } = state().entities.roles;
    expect(roles.system_user?.permissions).toEqual(expect.arrayContaining(['create_direct_channel']));
    expect(roles.team_user?.permissions).toEqual(expect.arrayContaining(['view_team']));
    expect(roles.channel_user?.permissions).toEqual(expect.arrayContaining(['create_post', 'add_reaction']));
  });

  it('loads the posts of a channel, the threads, and the profiles and statuses they show', async () => {
    await run(getPosts(world.townId), 'getPosts');
    const { posts, postsInChannel } = state().entities.posts;
    expect(postsInChannel[world.townId][0].order).toEqual(expect.arrayContaining([world.rootId, world.mentionId]));
    expect(posts[world.mentionId]).toMatchObject({ user_id: world.bob.id, message: '@alice the build is green' });

    await run(getThreadsForCurrentTeam(), 'getThreadsForCurrentTeam');
    await run(getThreadCounts(world.alice.id, world.a.teamId), 'getThreadCounts');
    const { threads, threadsInTeam, countsIncludingDirect } = state().entities.threads;
    // alice started the thread bob replied to: she follows it, with his reply unread.
    expect(threadsInTeam[world.a.teamId]).toContain(world.rootId);
    expect(threads[world.rootId]).toMatchObject({ id: world.rootId, reply_count: 1, unread_replies: 1, is_following: true });
    // getThreadCounts fills the counts that include DM and GM threads (`counts` comes from the team unreads).
    expect(countsIncludingDirect[world.a.teamId]).toMatchObject({ total: expect.any(Number), total_unread_mentions: expect.any(Number) });
    expect(countsIncludingDirect[world.a.teamId].total_unread_threads).toBeGreaterThanOrEqual(1);

    await run(getProfilesByIds([world.bob.id, world.dave.id]), 'getProfilesByIds');
    await run(getStatusesByIds([world.alice.id, world.bob.id, world.dave.id]), 'getStatusesByIds');
    const { profiles, statuses } = state().entities.users;
    expect(profiles[world.bob.id]).toMatchObject({ username: 'bob' });
    expect(profiles[world.bob.id].remote_id).toBeFalsy();
    // dave is B's user: A knows him as a remote user of that connection.
    expect(profiles[world.dave.id]).toMatchObject({ id: world.dave.id, remote_id: world.a.remoteIds.b });
    for (const id of [world.alice.id, world.bob.id, world.dave.id]) expect(['online', 'away', 'dnd', 'offline']).toContain(statuses[id]);
  });

  it('opens town and reads it: the unread and mention badges clear, on the server too', async () => {
    store.dispatch(selectChannel(world.townId) as never);
    expect(state().entities.channels.currentChannelId).toBe(world.townId);
    const viewedBefore = state().entities.channels.myMembers[world.townId].last_viewed_at;
    store.dispatch(markChannelAsRead(world.townId) as never);
    await run(markChannelAsViewedOnServer(world.townId), 'markChannelAsViewedOnServer');
    expect(unreadCount(world.townId)).toBe(0);

    // What the server kept, as the webapp sees it after a reload.
    await run(fetchChannelsAndMembers(world.a.teamId), 'fetchChannelsAndMembers');
    const member = state().entities.channels.myMembers[world.townId];
    expect(unreadCount(world.townId)).toBe(0);
    expect(member.mention_count).toBe(0);
    expect(member.last_viewed_at).toBeGreaterThan(viewedBefore);
  });

  it('posts, replies in a thread, reacts, and reads a thread', async () => {
    const root = await postFromApp({ channel_id: world.townId, message: 'Deploy window is xyzzy at noon' });
    expect(root.user_id).toBe(world.alice.id);
    expect(state().entities.posts.posts[root.id]).toMatchObject({ message: 'Deploy window is xyzzy at noon', channel_id: world.townId });
    expect(state().entities.posts.postsInChannel[world.townId][0].order[0]).toBe(root.id);
    const reply = await postFromApp({ channel_id: world.townId, message: 'Moved to one', root_id: root.id });
    expect(state().entities.posts.postsInThread[root.id]).toContain(reply.id);
    await run(addReaction(root.id, 'tada'), 'addReaction');
    expect(state().entities.posts.reactions[root.id]?.[`${world.alice.id}-tada`]).toMatchObject({
      emoji_name: 'tada',
      user_id: world.alice.id,
    });

    // Posting marks the channel read for its author, in the store and on the server.
    expect(unreadCount(world.townId)).toBe(0);
    await run(getChannelAndMyMember(world.townId), 'getChannelAndMyMember');
    expect(unreadCount(world.townId)).toBe(0);

    // bob answers in alice's thread: one unread reply, then alice reads the thread.
    const answer = await world.a
      .api(world.bob.token)
      .post<PostJson>('/posts', { channel_id: world.townId, message: 'Works for me', root_id: root.id });
    await run(getThread(world.alice.id, world.a.teamId, root.id, true), 'getThread');
    expect(state().entities.threads.threads[root.id]).toMatchObject({ reply_count: 2, unread_replies: 1, is_following: true });
    await run(updateThreadRead(world.alice.id, world.a.teamId, root.id, answer.create_at + 1), 'updateThreadRead');
    await run(getThread(world.alice.id, world.a.teamId, root.id, true), 'getThread');
    expect(state().entities.threads.threads[root.id]).toMatchObject({ unread_replies: 0, unread_mentions: 0 });
  });

  it('searches posts and autocompletes a mention', async () => {
    await run(
      searchPostsWithParams(world.a.teamId, {
        terms: 'xyzzy',
        is_or_search: false,
        include_deleted_channels: false,
        page: 0,
        per_page: 20,
      }),
      'searchPostsWithParams',
    );
    const { results } = state().entities.search;
    expect(results).toHaveLength(1);
    expect(state().entities.posts.posts[results[0]].message).toContain('xyzzy');

    const found = await run<{ users: { id: string }[] }>(autocompleteUsers('bo', world.a.teamId, world.townId), 'autocompleteUsers');
    expect(found.users.map((u) => u.id)).toContain(world.bob.id);
    expect([...(state().entities.users.profilesInChannel[world.townId] ?? [])]).toContain(world.bob.id);
  });

  it('shared channel: a peer user`s post arrives, the unread count moves, and reading it clears it', async () => {
    store.dispatch(selectChannel(world.sharedId) as never);
    store.dispatch(markChannelAsRead(world.sharedId) as never);
    await run(markChannelAsViewedOnServer(world.sharedId), 'markChannelAsViewedOnServer');
    await run(getChannelAndMyMember(world.sharedId), 'getChannelAndMyMember');
    expect(unreadCount(world.sharedId)).toBe(0);
    const totalBefore = state().entities.channels.messageCounts[world.sharedId].total;

    // Alice moves to town; dave writes on B.
    store.dispatch(selectChannel(world.townId) as never);
    const peerPost = await world.b.api(world.dave.token).post<PostJson>('/posts', { channel_id: world.sharedId, message: 'News from B' });
    await waitForPostOn(world.a, world.sharedId, peerPost.id);
    await waitFor(
      'the shared channel total to move on A',
      async () => {
        await run(getChannelAndMyMember(world.sharedId), 'getChannelAndMyMember');
        return state().entities.channels.messageCounts[world.sharedId].total > totalBefore ? true : undefined;
      },
      SYNC_MS,
      200,
    );
    expect(state().entities.channels.messageCounts[world.sharedId].total).toBe(totalBefore + 1);
    expect(unreadCount(world.sharedId)).toBe(1);

    await run(getPosts(world.sharedId), 'getPosts');
    expect(state().entities.posts.posts[peerPost.id]).toMatchObject({ user_id: world.dave.id, message: 'News from B' });
    expect(state().entities.posts.postsInChannel[world.sharedId][0].order).toEqual(expect.arrayContaining([world.peerPostId, peerPost.id]));

    store.dispatch(selectChannel(world.sharedId) as never);
    store.dispatch(markChannelAsRead(world.sharedId) as never);
    await run(markChannelAsViewedOnServer(world.sharedId), 'markChannelAsViewedOnServer');
    await run(getChannelAndMyMember(world.sharedId), 'getChannelAndMyMember');
    expect(unreadCount(world.sharedId)).toBe(0);
  });
});
