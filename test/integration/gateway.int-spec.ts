import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createSuiteApp, loadConfig } from '@fedchat/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, REPO_ROOT } from '@fedchat/testing';
import { OPENAPI_FILE, serializeOpenApi } from '../../apps/gateway/src/openapi';
import { configureGatewayHttp } from '../../apps/gateway/src/gateway.http';
import { GatewayModule } from '../../apps/gateway/src/gateway.module';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';

const ALL_APPS = [GatewayModule, RemoteClusterModule, SharedChannelSyncModule, FileTransferModule, UserSyncModule];

async function suite(env: Record<string, string>, modules = ALL_APPS): Promise<INestApplication> {
  const config = loadConfig('embedded', { LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, ...env });
  const app = await createSuiteApp(config, { modules, configureHttp: configureGatewayHttp });
  await app.init();
  return app;
}

let databaseUrl: string;
let app: INestApplication;

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  app = await suite({ MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES: '2048' });
});
afterAll(async () => {
  await app?.close();
});

describe('gateway on the embedded composition (real PostgreSQL, in-process bus)', () => {
  it('answers Mattermost ping with exactly application/json', async () => {
    const res = await request(app.getHttpServer()).get('/api/v4/system/ping').expect(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toMatchObject({ status: 'OK', ActiveSearchBackend: 'database' });
    expect(res.body.apps).toBeUndefined();
  });

  it('asks every app over the bus for get_server_status=true', async () => {
    const res = await request(app.getHttpServer()).get('/api/v4/system/ping?get_server_status=true').expect(200);
    expect(res.body.status).toBe('OK');
    expect(res.body.database_status).toBe('OK');
    expect(Object.keys(res.body.apps).sort()).toEqual(['file-transfer', 'remote-cluster', 'shared-channel-sync', 'user-sync']);
    for (const status of Object.values<{ status: string; instance: string }>(res.body.apps)) {
      expect(status.status).toBe('OK');
      expect(status.instance).toMatch(/^embedded@/);
    }
  });

  it('answers unknown API paths with a Mattermost AppError 404', async () => {
    const res = await request(app.getHttpServer()).get('/api/v4/no/such/thing').expect(404);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual({
      id: 'api.context.404.app_error',
      message: expect.any(String),
      detailed_error: '',
      request_id: expect.any(String),
      status_code: 404,
    });
  });

  it('answers malformed JSON with 400 and an oversized body with 413, as AppErrors', async () => {
    const bad = await request(app.getHttpServer())
      .post('/api/v4/system/ping')
      .set('Content-Type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(bad.body).toMatchObject({ id: 'api.context.invalid_param.app_error', status_code: 400 });
    expect(bad.text).not.toMatch(/at .*\.js/);
    const big = await request(app.getHttpServer())
      .post('/api/v4/system/ping')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ x: 'y'.repeat(5000) }))
      .expect(413);
    expect(big.body).toMatchObject({ id: 'api.context.request_body_too_large.app_error', status_code: 413 });
  });

  it('routes federation paths when the service is on (a session is required: 401, not 501)', async () => {
    const res = await request(app.getHttpServer()).get('/api/v4/remotecluster').expect(401);
    expect(res.body.status_code).toBe(401);
  });

  it('serves health probes, metrics and the OpenAPI document', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, bus: { status: 'up', transport: 'in-process' } });
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/fedchat_bus_messages_total\{subject="user-sync\.app\.health",role="received",outcome="ok"\} \d+/);
    expect(metrics.text).toMatch(
      /fedchat_http_request_duration_seconds_count\{method="GET",route="\/api\/v4\/system\/ping",status_code="200"\}/,
    );
    expect(metrics.text).toMatch(/fedchat_process_resident_memory_bytes/);
    const doc = await request(app.getHttpServer()).get('/api/v4/openapi.json').expect(200);
    expect(doc.body.paths['/api/v4/system/ping']).toBeDefined();
  });

  it('serves the OpenAPI document that is committed (run `npm run build && npm run openapi` after API changes)', async () => {
    const doc = await request(app.getHttpServer()).get('/api/v4/openapi.json').expect(200);
    const committed = fs.readFileSync(path.join(REPO_ROOT, OPENAPI_FILE), 'utf8');
    expect(serializeOpenApi(doc.body)).toBe(committed);
  });
});

describe('gateway with the remote cluster service switched off', () => {
  let off: INestApplication;
  beforeAll(async () => {
    off = await suite({ MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE: 'false' }, [GatewayModule]);
  });
  afterAll(async () => {
    await off?.close();
  });

  it.each([
    '/api/v4/remotecluster',
    '/api/v4/remotecluster/abc/generate_invite',
    '/api/v4/sharedchannels/team1',
    '/api/v4/channels/chan1/remotes/abc/invite',
  ])('answers %s with 501', async (path) => {
    const res = await request(off.getHttpServer()).get(path).expect(501);
    expect(res.body).toMatchObject({ id: 'api.remote_cluster.service_not_enabled.app_error', status_code: 501 });
  });

  it('still serves the rest of the API', async () => {
    await request(off.getHttpServer()).get('/api/v4/system/ping').expect(200);
  });

  it('reports apps that do not answer as UNAVAILABLE with 500 UNHEALTHY', async () => {
    // Only the gateway runs in this composition: nobody answers the apps' health subjects.
    const res = await request(off.getHttpServer()).get('/api/v4/system/ping?get_server_status=true').expect(500);
    expect(res.body.status).toBe('UNHEALTHY');
    expect(res.body.database_status).toBe('OK');
    expect(res.body.apps['remote-cluster']).toMatchObject({ status: 'UNAVAILABLE', error: expect.stringMatching(/no responders/) });
  });
});
