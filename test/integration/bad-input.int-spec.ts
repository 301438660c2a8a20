import { newId } from '@fedchat/crypto';
import { newRemote } from '@fedchat/testing';
import type { Response } from 'supertest';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * Input PostgreSQL or the runtime cannot take (NUL, lone surrogates, deep nesting, huge page numbers, prototype-named
 * keys) must answer a 4xx in Mattermost's error JSON, never a 500; on the peer endpoints a well-formed frame answers
 * as the protocol says (/msg: 200 with status FAIL).
 */

let h: GatewayHarness;
let admin: TestUser;
let teamId: string;
let channelId: string;
const remoteId = newId();
const peerToken = newId();

beforeAll(async () => {
  h = await GatewayHarness.start({}, [RemoteClusterModule, SharedChannelSyncModule, FileTransferModule, UserSyncModule]);
  admin = await h.signUp('badinputadmin');
  ({ teamId, channelId } = await h.channelWith([admin]));
  await newRemote(h.db, { remote_id: remoteId, name: 'peer', creator_id: admin.id, token: peerToken, remote_token: newId() });
});
afterAll(async () => {
  await h?.close();
});

/** A 4xx in Mattermost's error JSON. */
function expectAppError(res: Response, status = 400): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: {
      id: expect.any(String),
      message: expect.any(String),
      detailed_error: expect.any(String),
      request_id: expect.any(String),
      status_code: status,
    },
  });
  expect(res.headers['content-type']).toBe('application/json');
}

function peer(route: string) {
  return h.http.post(`/api/v4/remotecluster/${route}`).set('X-RemoteCluster-Id', remoteId).set('X-RemoteCluster-Token', peerToken);
}

function frame(topic: string, payload: unknown) {
  return { remote_id: remoteId, msg: { id: newId(), topic, create_at: Date.now(), payload } };
}

/** `depth` nested arrays around a value, as raw JSON text (supertest would stringify recursively). */
function nested(depth: number): string {
  return '['.repeat(depth) + '1' + ']'.repeat(depth);
}

describe('NUL characters', () => {
  it('refuses a NUL in a login id without a session', async () => {
    expectAppError(await h.http.post('/api/v4/users/login').send({ login_id: 'a\u0000', password: 'password-123' }));
  });

  it('refuses a NUL in a nickname, a team name, a channel name and a key of post props', async () => {
    expectAppError(await h.as(admin).put('/api/v4/users/me/patch').send({ nickname: 'a\u0000b' }));
    expectAppError(
      await h
        .as(admin)
        .post('/api/v4/posts')
        .send({ channel_id: channelId, message: 'hi', props: { 'a\u0000': 1 } }),
    );
    expectAppError(await h.as(admin).post('/api/v4/teams').send({ name: 'team\u0000x', display_name: 'T\u0000', type: 'O' }));
    expectAppError(
      await h.as(admin).post('/api/v4/channels').send({ team_id: teamId, name: 'chan\u0000x', display_name: 'C\u0000', type: 'O' }),
    );
  });

  it('refuses a NUL in a path parameter and in a query parameter', async () => {
    expectAppError(await h.as(admin).get('/api/v4/users/username/a%00b'));
    expectAppError(await h.as(admin).get('/api/v4/users?in_team=a%00b'));
    expectAppError(await h.as(admin).get('/api/v4/users?in_channel=%00'));
  });
});

describe('lone UTF-16 surrogates', () => {
  it('refuses one in post props, as value or as key', async () => {
    expectAppError(
      await h
        .as(admin)
        .post('/api/v4/posts')
        .send({ channel_id: channelId, message: 'hi', props: { a: 'x\ud800' } }),
    );
    expectAppError(
      await h
        .as(admin)
        .post('/api/v4/posts')
        .send({ channel_id: channelId, message: 'hi', props: { '\udc00': 'x' } }),
    );
  });

  it('still takes a well-formed surrogate pair', async () => {
    const res = await h
      .as(admin)
      .post('/api/v4/posts')
      .send({ channel_id: channelId, message: 'hi \ud83d\ude00', props: { e: '\ud83d\ude00' } });
    expect(res.status).toBe(201);
    expect(res.body.props.e).toBe('\ud83d\ude00');
  });
});

describe('deep nesting', () => {
  it('refuses a deeply nested body on a client route', async () => {
    const body = `{"channel_id":"${channelId}","message":"x","props":{"a":${nested(5000)}}}`;
    expectAppError(await h.as(admin).post('/api/v4/posts').set('Content-Type', 'application/json').send(body));
  });

  it('refuses a deeply nested frame on /msg and /ping with 400', async () => {
    const payload = `{"remote_id":"${remoteId}","msg":{"id":"${newId()}","topic":"sharedchannel_sync","create_at":1,"payload":{"a":${nested(5000)}}}}`;
    expectAppError(await peer('msg').set('Content-Type', 'application/json').send(payload));
    expectAppError(await peer('ping').set('Content-Type', 'application/json').send(payload));
  });

  it('ignores brackets inside strings', async () => {
    const res = await h
      .as(admin)
      .post('/api/v4/posts')
      .send({ channel_id: channelId, message: '['.repeat(5000) });
    expect(res.status).toBe(201);
  });
});

describe('huge page numbers', () => {
  const lists = [
    '/api/v4/users',
    `/api/v4/teams/{team}/members`,
    `/api/v4/teams/{team}/channels`,
    `/api/v4/channels/{channel}/members`,
    `/api/v4/channels/{channel}/posts`,
    '/api/v4/remotecluster',
    '/api/v4/sharedchannels/{team}',
    `/api/v4/remotecluster/${remoteId}/sharedchannelremotes`,
  ];
  it.each(lists)('answers %s without a 5xx', async (route) => {
    for (const page of ['99999999999999999999', '1e400', '-99999999999999999999', '9'.repeat(400)]) {
      const url = `${route.replace('{team}', teamId).replace('{channel}', channelId)}?page=${page}&per_page=${page}`;
      const res = await h.as(admin).get(url);
      if (res.status !== 200) expectAppError(res);
    }
  });
});

describe('prototype-named keys', () => {
  const names = ['constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

  it.each(names)('answers /msg 200 for a payload with a %s key and for a topic named so', async (name) => {
    for (const topic of ['sharedchannel_sync', 'sharedchannel_invite', 'sharedchannel_upload', 'sharedchannel_global_user_sync']) {
      const payload = JSON.parse(`{"${name}":{"x":1},"channel_id":"${channelId}","users":{"${name}":{"id":"x"}}}`);
      const res = await peer('msg').send(frame(topic, payload));
      expect({ status: res.status, topic }).toEqual({ status: 200, topic });
      expect(['OK', 'FAIL']).toContain(res.body.status);
    }
    const res = await peer('msg').send(frame(name, { a: 1 }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'OK' });
  });

  it.each(names)('keeps a %s key in post props as sent, and ignores it at the top of a body', async (name) => {
    const body = JSON.parse(`{"${name}":{"x":1},"channel_id":"${channelId}","message":"hi","props":{"${name}":{"x":"y"},"k":"v"}}`);
    const res = await h.as(admin).post('/api/v4/posts').send(body);
    expect(res.status).toBe(201);
    const stored = await h.as(admin).get(`/api/v4/posts/${res.body.id}`).expect(200);
    expect(Object.entries(stored.body.props)).toEqual(
      expect.arrayContaining([
        [name, { x: 'y' }],
        ['k', 'v'],
      ]),
    );
  });
});

describe('found by the API fuzz test', () => {
  it('answers a URL over the HTTP parser limit with 431 in Mattermost error JSON', async () => {
    expectAppError(await h.as(admin).get(`/api/v4/users/username/${'x'.repeat(70_000)}`), 431);
  });

  it('answers 404 when deleting a connection that does not exist, and 400 for a malformed id', async () => {
    expectAppError(await h.as(admin).delete(`/api/v4/remotecluster/${newId()}`), 404);
    expectAppError(await h.as(admin).delete('/api/v4/remotecluster/not-an-id'), 400);
  });

  it('takes null in an optional body field as absent (as Mattermost), not as SQL NULL', async () => {
    const res = await h.as(admin).put('/api/v4/users/me/patch').send({ username: null, nickname: 'nulled' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: admin.username, nickname: 'nulled' });
  });

  it('answers a body that does not inflate with 400 in Mattermost error JSON', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await h.http
        .post('/api/v4/users/login')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send('{"login_id":"a","password":"b"}');
      expectAppError(res);
    }
  });
});
