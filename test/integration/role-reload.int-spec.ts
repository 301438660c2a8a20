import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { hasPermission, Permission } from '@fedchat/chat';
import { Bus, createSuiteApp, loadConfig } from '@fedchat/common';
import { RolesChanged } from '@fedchat/contracts';
import { createTestDatabase, startNats, TestNats, waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';

/*
 * Every process that checks permissions reloads the roles on `chat.roles.changed`, not only the gateway: here a
 * shared-channel-sync process and a user-sync process, each alone in a Nest app on a real nats-server as in distributed
 * mode (no gateway in this jest process, so nothing else reloads the registry they read).
 */

describe.each([
  ['shared-channel-sync', SharedChannelSyncModule],
  ['user-sync', UserSyncModule],
] as const)('%s', (appName, module) => {
  let app: INestApplication;
  let nats: TestNats;

  beforeAll(async () => {
    nats = await startNats();
    const databaseUrl = await createTestDatabase();
    const config = loadConfig(appName, {
      LOG_LEVEL: 'silent',
      DATA_DIR: path.join(os.tmpdir(), `fedchat-role-reload-${new URL(databaseUrl).pathname.slice(1)}`),
      DATABASE_URL: databaseUrl,
      NATS_URL: nats.url,
    });
    app = await createSuiteApp(config, { modules: [module] });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await nats?.stop();
  });

  it('reloads the roles when another process announces an edit', async () => {
    expect(hasPermission('system_user', Permission.ManageSharedChannels)).toBe(false);
    // Another process (a gateway) edited the table; this process has not read it since it started.
    const [role] = await app
      .get(DataSource)
      .query(`UPDATE roles SET permissions = permissions || '["manage_shared_channels"]'::jsonb WHERE name = 'system_user' RETURNING id`);
    expect(hasPermission('system_user', Permission.ManageSharedChannels)).toBe(false);
    app.get(Bus).emit(RolesChanged, { role_id: role.id });
    await waitFor(
      'the registry to follow the edit',
      async () => hasPermission('system_user', Permission.ManageSharedChannels) || undefined,
      5000,
      20,
    );
  });
});
