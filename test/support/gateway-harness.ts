import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createSuiteApp, loadConfig } from '@fedchat/common';
import { createTestDatabase } from '@fedchat/testing';
import { configureGatewayHttp } from '../../apps/gateway/src/gateway.http';
import { GatewayModule } from '../../apps/gateway/src/gateway.module';

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

let counter = 0;

/**
 * The gateway on a fresh real database, in-process: for integration tests of the /api/v4 chat core.
 * The first user it creates is the system admin (as in Mattermost).
 */
export class GatewayHarness {
  private constructor(readonly app: INestApplication) {}

  static async start(env: Record<string, string> = {}): Promise<GatewayHarness> {
    const databaseUrl = await createTestDatabase();
    const config = loadConfig('embedded', {
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl,
      DATA_DIR: `/tmp/fedchat-harness-${process.pid}-${++counter}`,
      ...env,
    });
    const app = await createSuiteApp(config, { modules: [GatewayModule], configureHttp: configureGatewayHttp });
    await app.init();
    return new GatewayHarness(app);
  }

  get http() {
    return request(this.app.getHttpServer());
  }

  /** A request helper that sends the user's token. */
  as(user: TestUser) {
    const server = this.app.getHttpServer();
    const auth = (r: request.Test) => r.set('Authorization', `Bearer ${user.token}`);
    return {
      get: (url: string) => auth(request(server).get(url)),
      post: (url: string) => auth(request(server).post(url)),
      put: (url: string) => auth(request(server).put(url)),
      patch: (url: string) => auth(request(server).patch(url)),
      delete: (url: string) => auth(request(server).delete(url)),
    };
  }

  /** Signs a user up (the first one becomes system admin) and logs them in. */
  async signUp(username = `user${++counter}${Date.now() % 100000}`, by?: TestUser): Promise<TestUser> {
    const body = { username, email: `${username}@example.com`, password: 'password-123' };
    const req = by ? this.as(by).post('/api/v4/users') : this.http.post('/api/v4/users');
    const created = await req.send(body).expect(201);
    const login = await this.http.post('/api/v4/users/login').send({ login_id: username, password: 'password-123' }).expect(200);
    return { id: created.body.id, username, token: login.headers.token };
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
