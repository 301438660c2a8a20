import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppName, createSuiteApp, loadConfig, SCHEDULED_JOBS, ScheduledJobName, ScheduledJobs } from '@fedchat/common';
import { createTestDatabase, startNats, TestNats } from '@fedchat/testing';
import { configureGatewayHttp } from '../../apps/gateway/src/gateway.http';
import { GatewayModule } from '../../apps/gateway/src/gateway.module';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';

/*
 * Every periodic job is a named interval on Nest's SchedulerRegistry: each app composition (embedded: all five apps
 * in one process; distributed: one app per process) registers exactly its own jobs once, and closing the app removes
 * every one of them and clears its timer, so that nothing ticks into a closed pool or bus.
 */

const OWN_JOBS: Record<Exclude<AppName, 'embedded'>, ScheduledJobName[]> = {
  gateway: ['gateway.websocket-ping'],
  'remote-cluster': ['remote-cluster.heartbeat', 'remote-cluster.online-gauge'],
  'shared-channel-sync': ['shared-channel-sync.sync-poll', 'shared-channel-sync.queue-gauge', 'shared-channel-sync.invite-retry'],
  'file-transfer': [
    'file-transfer.transfer-poll',
    'file-transfer.queue-gauge',
    'file-transfer.profile-picture-poll',
    'file-transfer.upload-expiry',
  ],
  'user-sync': ['user-sync.poll', 'user-sync.profiles-gauge'],
};
const EVERY_PROCESS: ScheduledJobName[] = ['core.remote-series-refresh'];

const COMPOSITIONS: Array<{ app: AppName; modules: Array<Type | DynamicModule>; expected: ScheduledJobName[] }> = [
  {
    app: 'embedded',
    modules: [GatewayModule, RemoteClusterModule, SharedChannelSyncModule, FileTransferModule, UserSyncModule],
    expected: [...EVERY_PROCESS, ...Object.values(OWN_JOBS).flat()],
  },
  { app: 'gateway', modules: [GatewayModule], expected: [...EVERY_PROCESS, ...OWN_JOBS.gateway] },
  { app: 'remote-cluster', modules: [RemoteClusterModule], expected: [...EVERY_PROCESS, ...OWN_JOBS['remote-cluster']] },
  { app: 'shared-channel-sync', modules: [SharedChannelSyncModule], expected: [...EVERY_PROCESS, ...OWN_JOBS['shared-channel-sync']] },
  { app: 'file-transfer', modules: [FileTransferModule], expected: [...EVERY_PROCESS, ...OWN_JOBS['file-transfer']] },
  { app: 'user-sync', modules: [UserSyncModule], expected: [...EVERY_PROCESS, ...OWN_JOBS['user-sync']] },
];

let databaseUrl: string;
let nats: TestNats;
let dataDir: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  nats = await startNats();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-jobs-'));
});

afterAll(async () => {
  jest.restoreAllMocks();
  await nats?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('scheduled jobs', () => {
  it('the SCHEDULED_JOBS table names the same owner for each job as the apps that start it', () => {
    const fromTable = (app: string) =>
      Object.entries(SCHEDULED_JOBS)
        .filter(([, job]) => job.app === app)
        .map(([name]) => name)
        .sort();
    for (const [app, jobs] of Object.entries(OWN_JOBS)) expect(fromTable(app)).toEqual([...jobs].sort());
    expect(fromTable('every')).toEqual(EVERY_PROCESS);
  });

  it.each(COMPOSITIONS)('$app: registers exactly its jobs after start, and none remain after close', async ({ app, modules, expected }) => {
    const env: Record<string, string> = { LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, DATA_DIR: dataDir };
    if (app !== 'embedded') env.NATS_URL = nats.url;
    const config = loadConfig(app, env);
    const clearInterval = jest.spyOn(global, 'clearInterval');
    const stoppedByOwner = jest.spyOn(ScheduledJobs.prototype, 'stop');
    let started: INestApplication | undefined;
    try {
      started = await createSuiteApp(config, {
        modules,
        configureHttp: app === 'embedded' || app === 'gateway' ? configureGatewayHttp : undefined,
      });
      await started.init();
      const registry = started.get(SchedulerRegistry);
      expect(registry.getIntervals().sort()).toEqual([...expected].sort());
      const timers = expected.map((name) => registry.getInterval(name) as NodeJS.Timeout);
      // A pending tick never keeps a process alive: its server and connections do.
      for (const timer of timers) expect(timer.hasRef()).toBe(false);

      await started.close();
      started = undefined;
      expect(registry.getIntervals()).toEqual([]);
      // Each owner stops its own jobs (before it waits for its work in flight), not only ScheduleModule's final sweep.
      expect(stoppedByOwner.mock.calls.map(([name]) => name).sort()).toEqual([...expected].sort());
      const cleared = new Set(clearInterval.mock.calls.map(([timer]) => timer));
      for (const [i, timer] of timers.entries())
        expect({ job: expected[i], cleared: cleared.has(timer) }).toEqual({ job: expected[i], cleared: true });
    } finally {
      await started?.close();
      clearInterval.mockRestore();
      stoppedByOwner.mockRestore();
    }
  });
});
