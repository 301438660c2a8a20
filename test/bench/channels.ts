import { FederatedCluster, waitFor } from '@fedchat/testing';

/** Makes `count` channels on A, shares each with B, and waits until B has them all. */
export async function sharedChannels(a: FederatedCluster, b: FederatedCluster, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const channel = await a
      .api()
      .post<{ id: string }>('/channels', { team_id: a.teamId, name: `${prefix}-${i}`, display_name: `${prefix} ${i}`, type: 'O' });
    await a.api().post(`/remotecluster/${a.remoteIds.b}/channels/${channel.id}/invite`);
    ids.push(channel.id);
  }
  for (const id of ids) {
    await waitFor(
      `channel ${id} on B`,
      async () => ((await b.api().request('GET', `/channels/${id}`)).status === 200 ? true : undefined),
      60_000,
      100,
    );
  }
  return ids;
}
