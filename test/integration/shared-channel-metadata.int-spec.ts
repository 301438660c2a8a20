import { Bus } from '@fedchat/common';
import { SendToPeer } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { connectClusters, QUICK_FEDERATION_ENV, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Channel metadata of a shared channel between two real clusters: a rename or a new header or purpose on the home
 * reaches the remote's copy (REST on A, database and REST on B), and a peer that is not the channel's home cannot
 * change it (its message travels over the real connection and is refused).
 */

const ENV = {
  ...QUICK_FEDERATION_ENV,
};

let a: TestCluster;
let b: TestCluster;
let remoteId: string;

const db = (c: TestCluster) => c.h.app.get(DataSource);
const channelOn = async (c: TestCluster, id: string) =>
  (await db(c).query('SELECT display_name, header, purpose FROM channels WHERE id = $1', [id]))[0] as
    { display_name: string; header: string; purpose: string } | undefined;

function until(what: string, cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  remoteId = await connectClusters(a, b);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until('channel on B', async () => (await channelOn(b, a.channelId)) !== undefined);
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('shared channel metadata', () => {
  it('a rename and new header and purpose on the home (PUT /channels/{id}/patch) reach the remote', async () => {
    await a.h
      .as(a.admin)
      .put(`/api/v4/channels/${a.channelId}/patch`)
      .send({ display_name: 'Renamed Everywhere', header: 'the new header', purpose: 'the new purpose' })
      .expect(200);
    await until('metadata on B', async () => (await channelOn(b, a.channelId))?.display_name === 'Renamed Everywhere');
    expect(await channelOn(b, a.channelId)).toEqual({
      display_name: 'Renamed Everywhere',
      header: 'the new header',
      purpose: 'the new purpose',
    });
    const res = await b.h.as(b.admin).get(`/api/v4/channels/${a.channelId}`).expect(200);
    expect(res.body).toMatchObject({ display_name: 'Renamed Everywhere', header: 'the new header', purpose: 'the new purpose' });
    const [share] = await db(b).query('SELECT share_display_name, share_header FROM shared_channels WHERE channel_id = $1', [a.channelId]);
    expect(share).toEqual({ share_display_name: 'Renamed Everywhere', share_header: 'the new header' });
  });

  it('PUT /channels/{id} on the home reaches the remote too, and the pair is caught up afterwards', async () => {
    await a.h.as(a.admin).put(`/api/v4/channels/${a.channelId}`).send({ id: a.channelId, header: 'header by PUT' }).expect(200);
    await until('header on B', async () => (await channelOn(b, a.channelId))?.header === 'header by PUT');
    expect((await channelOn(b, a.channelId))?.display_name).toBe('Renamed Everywhere');
    await until('confirmed', async () => {
      const [row] = await db(a).query(
        `SELECT sc.metadata_changed_at = scr.last_metadata_sync_at AS done FROM shared_channels sc
         JOIN shared_channel_remotes scr ON scr.channel_id = sc.channel_id WHERE sc.channel_id = $1`,
        [a.channelId],
      );
      return row.done === true;
    });
  });

  it('refuses metadata from a peer that is not the channel home, and leaves the channel as it was', async () => {
    const before = await channelOn(a, a.channelId);
    // B is not the home of A's channel: its message goes over the real connection to A.
    const answer = await b.h.app.get(Bus).request(SendToPeer, {
      remote_id: remoteId,
      topic: 'sharedchannel_sync',
      payload: {
        id: newId(),
        channel_id: a.channelId,
        channel_metadata: { display_name: 'Hijacked', header: 'x', purpose: 'y', update_at: Date.now() + 60_000 },
      },
    });
    expect(answer.status).toBe('FAIL');
    expect(answer.err).toContain('channel metadata may only come from the channel home');
    expect(await channelOn(a, a.channelId)).toEqual(before);
  });

  it('applies an older or repeated stamp from the home as a no-op', async () => {
    const before = await channelOn(b, a.channelId);
    const answer = await a.h.app.get(Bus).request(SendToPeer, {
      remote_id: remoteId,
      topic: 'sharedchannel_sync',
      payload: {
        id: newId(),
        channel_id: a.channelId,
        channel_metadata: { display_name: 'Stale name', header: '', purpose: '', update_at: 1 },
      },
    });
    expect(answer.status).toBe('OK');
    expect(await channelOn(b, a.channelId)).toEqual(before);
  });
});
