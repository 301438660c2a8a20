import { Controller, Get, Module, Query, UsePipes } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { RequirePermission } from '../../apps/gateway/src/auth/auth.guard';
import { PageQuery } from '../../apps/gateway/src/http/page-query';
import { UserIdParam } from '../../apps/gateway/src/http/user-id-param';
import { apiValidationPipe } from '../../apps/gateway/src/http/validation';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * The gateway's three HTTP conventions, through the real guard, pipes and error filter: `?page=&per_page=` read by
 * PageQuery, `{user_id}` read by @UserIdParam() (`me` for the caller), and system permissions by @RequirePermission().
 */

/** Echoes what the conventions hand a handler. */
@UsePipes(apiValidationPipe)
@Controller('api/v4/conventions-probe')
class ProbeController {
  @Get('paged')
  paged(@Query() paging: PageQuery) {
    return { page: paging.page, per_page: paging.per_page, skip: paging.skip };
  }

  @Get('users/:user_id')
  user(@UserIdParam() userId: string) {
    return { user_id: userId };
  }

  @RequirePermission(Permission.ManageSystem)
  @Get('admin')
  admin() {
    return { status: 'OK' };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

let h: GatewayHarness;
let admin: TestUser;
let user: TestUser;

beforeAll(async () => {
  h = await GatewayHarness.start({}, [ProbeModule, RemoteClusterModule]);
  admin = await h.signUp('conventionsadmin');
  user = await h.signUp('conventionsuser', admin);
});
afterAll(async () => {
  await h?.close();
});

describe('PageQuery', () => {
  it.each([
    ['', { page: 0, per_page: 60, skip: 0 }],
    ['?page=2&per_page=25', { page: 2, per_page: 25, skip: 50 }],
    ['?page=-1&per_page=abc', { page: 0, per_page: 60, skip: 0 }],
    ['?page=99999999999999999999&per_page=100000', { page: 1_000_000_000, per_page: 200, skip: 200_000_000_000 }],
    ['?page=3&page=9&per_page=5', { page: 3, per_page: 5, skip: 15 }],
  ])('reads %j', async (query, expected) => {
    expect((await h.as(user).get(`/api/v4/conventions-probe/paged${query}`).expect(200)).body).toEqual(expected);
  });

  it('pages a real list: the channel post list clamps as the other lists do', async () => {
    const { channelId } = await h.channelWith([user]);
    for (const query of ['page=-1', 'per_page=abc', 'page=abc&per_page=-3']) {
      const res = await h.as(user).get(`/api/v4/channels/${channelId}/posts?${query}`).expect(200);
      expect(res.body).toMatchObject({ order: expect.any(Array), posts: expect.any(Object) });
    }
  });
});

describe('@UserIdParam()', () => {
  it('gives the caller for me and the id otherwise', async () => {
    expect((await h.as(user).get('/api/v4/conventions-probe/users/me').expect(200)).body).toEqual({ user_id: user.id });
    expect((await h.as(user).get(`/api/v4/conventions-probe/users/${admin.id}`).expect(200)).body).toEqual({ user_id: admin.id });
  });

  it('answers a malformed id with 400 invalid_url_param, on the probe and on real routes', async () => {
    for (const url of [
      '/api/v4/conventions-probe/users/not-an-id',
      '/api/v4/users/not-an-id',
      '/api/v4/users/not-an-id/teams',
      '/api/v4/users/not-an-id/channels',
      '/api/v4/users/not-an-id/status',
    ]) {
      const res = await h.as(user).get(url);
      expect({ url, status: res.status, body: res.body }).toEqual({
        url,
        status: 400,
        body: {
          id: 'api.context.invalid_url_param.app_error',
          message: 'Invalid or missing user_id in request URL.',
          detailed_error: '',
          request_id: expect.any(String),
          status_code: 400,
        },
      });
    }
  });

  it('resolves me on user, team and channel routes', async () => {
    expect((await h.as(user).get('/api/v4/users/me').expect(200)).body.id).toBe(user.id);
    expect((await h.as(user).get('/api/v4/users/me/status').expect(200)).body.user_id).toBe(user.id);
    await h.as(user).get('/api/v4/users/me/teams').expect(200);
    await h.as(user).get('/api/v4/users/me/channels').expect(200);
    expect((await h.as(user).get(`/api/v4/sharedchannels/users/me/can_dm/${admin.id}`).expect(200)).body).toEqual({ can_dm: true });
  });

  it('401 without a session, before the id is looked at', async () => {
    await h.http.get('/api/v4/conventions-probe/users/not-an-id').expect(401);
  });
});

describe('@RequirePermission()', () => {
  const forbidden = (permission: string) => ({
    id: 'api.context.permissions.app_error',
    message: `You do not have the appropriate permissions (${permission}).`,
    detailed_error: '',
    request_id: expect.any(String),
    status_code: 403,
  });

  it('refuses a caller without the permission with Mattermost 403 JSON, and lets an admin through', async () => {
    expect((await h.as(user).get('/api/v4/conventions-probe/admin').expect(403)).body).toEqual(forbidden('manage_system'));
    expect((await h.as(admin).get('/api/v4/conventions-probe/admin').expect(200)).body).toEqual({ status: 'OK' });
  });

  it('guards the real routes that moved to it', async () => {
    const refused: Array<[string, string, string]> = [
      ['get', '/api/v4/remotecluster', 'manage_secure_connections'],
      ['post', '/api/v4/remotecluster', 'manage_secure_connections'],
      ['get', `/api/v4/users/${admin.id}/remote_origin`, 'manage_system'],
      ['get', '/api/v4/sharedchannels/invitations', 'manage_shared_channels'],
      ['get', `/api/v4/remotecluster/${admin.id}/sharedchannelremotes`, 'manage_secure_connections'],
      ['post', `/api/v4/remotecluster/${admin.id}/channels/${admin.id}/invite`, 'manage_shared_channels'],
    ];
    for (const [method, url, permission] of refused) {
      const res = await (method === 'get' ? h.as(user).get(url) : h.as(user).post(url).send({}));
      expect({ url, status: res.status, body: res.body }).toEqual({ url, status: 403, body: forbidden(permission) });
    }
    expect((await h.as(admin).get('/api/v4/remotecluster').expect(200)).body).toEqual([]);
  });
});
