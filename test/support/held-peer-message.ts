import { newId } from '@fedchat/crypto';
import type { Response } from 'supertest';
import type { DataSource } from 'typeorm';
import type { GatewayHarness } from './gateway-harness';

/**
 * Sends a peer's sync message (as remote `remoteId`, with its token) while `table` is locked for `holdMs`, so that the
 * receiver's write to it waits that long: the way to make a receiver slower than a timeout. SHARE ROW EXCLUSIVE lets
 * the receiver read but makes its inserts wait until the lock is released. Returns the gateway's answer.
 */
export async function sendHeldPeerMessage(
  h: GatewayHarness,
  db: DataSource,
  message: { remoteId: string; token: string; payload: Record<string, unknown> },
  held: { table: string; holdMs: number },
): Promise<Response> {
  const runner = db.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    await runner.query(`LOCK TABLE ${held.table} IN SHARE ROW EXCLUSIVE MODE`);
    const answer = h.http
      .post('/api/v4/remotecluster/msg')
      .set('X-RemoteCluster-Id', message.remoteId)
      .set('X-RemoteCluster-Token', message.token)
      .send({
        remote_id: message.remoteId,
        msg: { id: newId(), topic: 'sharedchannel_sync', create_at: Date.now(), payload: message.payload },
      })
      .then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, held.holdMs));
    await runner.commitTransaction();
    return await answer;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}
