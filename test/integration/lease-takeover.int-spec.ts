import { Logger } from '@nestjs/common';
import { loadConfig } from '@fedchat/common';
import { dataSourceOptions } from '@fedchat/models';
import { createTestDatabase, newRemote } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteLease } from '../../apps/user-sync/src/send/remote-lease.service';

/** A replica that takes over work whose lease ran out in another instance's hands says so, once per claim. */
describe('lease takeover log', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    const url = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(url, { poolSize: 2 })).initialize();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await dataSource?.destroy();
  });

  it('names the previous holder when a replica claims a remote whose lease expired, and stays quiet for free ones', async () => {
    const { remote_id: remoteId } = await newRemote(dataSource, { name: 'peer', site_url: 'https://peer.example', is_online: true });
    const replica = (instanceId: string) =>
      new RemoteLease(dataSource, { ...loadConfig('user-sync', { DATABASE_URL: 'postgres://h/db', NATS_URL: 'nats://h' }), instanceId });
    const [first, second] = [replica('user-sync@first'), replica('user-sync@second')];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    expect(await first.claim(10)).toHaveLength(1);
    expect(await second.claim(10)).toHaveLength(0); // held
    expect(warn).not.toHaveBeenCalled();

    // The first replica dies: its lease runs out.
    await dataSource.query('UPDATE remote_clusters SET user_sync_lease_until = 1 WHERE remote_id = $1', [remoteId]);
    expect(await second.claim(10)).toHaveLength(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(
      new RegExp(`^took over 1 remotes \\(user sync\\) whose lease expired in the hands of user-sync@first/[0-9a-z]+: ${remoteId}$`),
    );
  });
});
