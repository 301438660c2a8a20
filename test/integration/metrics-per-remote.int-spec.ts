import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createSuiteApp, loadConfig, RemoteSeriesAtZero } from '@fedchat/common';
import { dataSourceOptions } from '@fedchat/models';
import { createTestDatabase, newRemote } from '@fedchat/testing';
import { configureGatewayHttp } from '../../apps/gateway/src/gateway.http';
import { GatewayModule } from '../../apps/gateway/src/gateway.module';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';

/*
 * Per-remote error counters exist at 0 for every known remote before anything went wrong with it, so that dashboards
 * show 0 (not "No data") and ratio alerts have a series to compute on.
 */

const ALL_APPS = [GatewayModule, RemoteClusterModule, SharedChannelSyncModule, FileTransferModule, UserSyncModule];

/** Every per-remote error counter of the suite, and the sent counter that error ratios divide by. */
const PER_REMOTE_COUNTERS = [
  'mattermost_remote_cluster_msg_sent_total',
  'mattermost_remote_cluster_msg_errors_total',
  'fedchat_shared_channels_sync_failures_total',
  'fedchat_shared_channels_items_refused_by_peer_total',
  'fedchat_shared_channels_receive_errors_total',
  'fedchat_file_transfer_send_errors_total',
  'fedchat_file_transfer_receive_errors_total',
  'fedchat_user_sync_send_failures_total',
  'fedchat_user_sync_refused_items_total',
];

/** Far in the future: the heartbeat leaves the remote alone, so nothing can fail and every counter stays at 0. */
const NEVER = 9_000_000_000_000_000;

let databaseUrl: string;
let app: INestApplication | undefined;

async function start(): Promise<INestApplication> {
  const config = loadConfig('embedded', { LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl });
  const started = await createSuiteApp(config, { modules: ALL_APPS, configureHttp: configureGatewayHttp });
  await started.init();
  return started;
}

/** Written directly, as by another process: the suite learns of it at start or on its next refresh. */
async function insertRemote(remoteId: string, name: string, deleteAt = 0): Promise<void> {
  const db = await new DataSource(dataSourceOptions(databaseUrl, { poolSize: 1 })).initialize();
  try {
    await newRemote(db, {
      remote_id: remoteId,
      name,
      site_url: `https://${name}.invalid`,
      create_at: 1,
      delete_at: deleteAt,
      next_ping_at: NEVER,
    });
  } finally {
    await db.destroy();
  }
}

async function scrape(): Promise<string> {
  return (await request(app!.getHttpServer()).get('/metrics').expect(200)).text;
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  // The remotes exist when the suite starts, as after a restart.
  await insertRemote('knownremote000000000000000', 'known');
  await insertRemote('deletedremote0000000000000', 'deleted', 1);
  app = await start();
});
afterAll(async () => {
  await app?.close();
});

describe('per-remote error counters at 0', () => {
  it.each(PER_REMOTE_COUNTERS)('%s{remote_id="<known remote>"} is 0 at start, before any error', async (metric) => {
    const text = await scrape();
    expect(text).toContain(`\n${metric}{remote_id="knownremote000000000000000"} 0\n`);
  });

  it('deleted remotes get no series', async () => {
    expect(await scrape()).not.toContain('deletedremote0000000000000');
  });

  it('a remote added after start gets its series on the next refresh', async () => {
    await insertRemote('laterremote000000000000000', 'later');
    expect(await scrape()).not.toContain('laterremote000000000000000');
    await app!.get(RemoteSeriesAtZero).refresh();
    const text = await scrape();
    for (const metric of PER_REMOTE_COUNTERS) expect(text).toContain(`\n${metric}{remote_id="laterremote000000000000000"} 0\n`);
  });
});
