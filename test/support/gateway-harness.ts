import * as os from 'node:os';
import * as path from 'node:path';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createSuiteApp, loadConfig } from '@fedchat/common';
import { addChannelMember, addTeamMember, createTestDatabase, HIGH_RATE_LIMITS_ENV, newChannel, newTeam } from '@fedchat/testing';
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
  private constructor(
    readonly app: INestApplication,
    readonly databaseUrl: string,
  ) {}

  /** `env` may set DATABASE_URL to reuse a database (a restart); `modules` adds apps to the composition. */
  static async start(env: Record<string, string> = {}, modules: Array<Type | DynamicModule> = []): Promise<GatewayHarness> {
    const databaseUrl = env.DATABASE_URL ?? (await createTestDatabase());
    // One data directory per database: unique across test files, and the same again when a cluster restarts on it.
    const dataDir = path.join(os.tmpdir(), `fedchat-harness-${new URL(databaseUrl).pathname.slice(1)}`);
    const config = loadConfig('embedded', {
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', // TEST_LOG_LEVEL=warn shows a cluster's logs when diagnosing a spec
      DATA_DIR: dataDir,
      ...HIGH_RATE_LIMITS_ENV,
      ...env,
      DATABASE_URL: databaseUrl,
    });
    const app = await createSuiteApp(config, { modules: [GatewayModule, ...modules], configureHttp: configureGatewayHttp });
    await app.init();
    return new GatewayHarness(app, databaseUrl);
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
    await req.send(body).expect(201);
    return this.login(username);
  }

  /** Logs in a user made by `signUp` (e.g. again, after a restart on the same database). */
  async login(username: string): Promise<TestUser> {
    const res = await this.http.post('/api/v4/users/login').send({ login_id: username, password: 'password-123' }).expect(200);
    return { id: res.body.id, username, token: res.headers.token };
  }

  /** Listens on loopback (a free port unless given; needed for websockets and peers); returns the base URL. */
  async listen(port = 0): Promise<string> {
    await this.app.listen(port, '127.0.0.1');
    const address = this.app.getHttpServer().address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  }

  /** The suite's database, for builders (`newRemote(h.db, …)`) and for looking at what a request left behind. */
  get db(): DataSource {
    return this.app.get(DataSource);
  }

  /** A team and channel with the given members, written directly (tests of other areas need not use the channels API). */
  async channelWith(members: TestUser[], type: 'O' | 'P' = 'O'): Promise<{ teamId: string; channelId: string }> {
    const team = await newTeam(this.db);
    const channel = await newChannel(this.db, { team_id: team.id, type, creator_id: members[0].id });
    for (const m of members) {
      await addTeamMember(this.db, team.id, m.id);
      await addChannelMember(this.db, channel.id, m.id);
    }
    return { teamId: team.id, channelId: channel.id };
  }

  async close(): Promise<void> {
    if (!process.env.TEST_LOG_LEVEL) return this.app.close();
    traceShutdownHooks(this.app);
    const started = Date.now();
    const timer = setInterval(
      () => report(`app.close still running after ${Date.now() - started} ms; active: ${process.getActiveResourcesInfo().join(', ')}`),
      10_000,
    );
    await this.app.close().finally(() => clearInterval(timer));
  }
}

const report = (line: string) => process.stderr.write(`[shutdown] ${line}\n`);

const SHUTDOWN_HOOKS = ['onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown'] as const;

/** Diagnosis (with TEST_LOG_LEVEL): prints each shutdown hook that takes more than a second, and every 10 s while it runs. */
function traceShutdownHooks(app: INestApplication): void {
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.providers.values()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      for (const hook of SHUTDOWN_HOOKS) {
        const original = instance[hook];
        if (typeof original !== 'function') continue;
        const name = `${String(wrapper.name)}.${hook}`;
        instance[hook] = async (...args: unknown[]) => {
          const started = Date.now();
          const timer = setInterval(() => report(`${name} still running after ${Date.now() - started} ms`), 10_000);
          try {
            return await (original as (...a: unknown[]) => unknown).apply(instance, args);
          } finally {
            clearInterval(timer);
            if (Date.now() - started > 1000) report(`${name} took ${Date.now() - started} ms`);
          }
        };
      }
    }
  }
}
