import { AcceptInvite, defineRpc, SendToPeer } from '@fedchat/contracts';
import { lastValueFrom } from 'rxjs';
import { PING_TIMEOUT_MS, SEND_TIMEOUT_MS } from '../peers/peer-client';
import { BusClientProxy } from './bus-client';
import { InProcessLink } from './in-process-link';
import { encodeReply } from './wire';

class Ping {
  n: number;
}

describe('BusClientProxy request timeouts', () => {
  const link = new InProcessLink(1024 * 1024);
  const client = new BusClientProxy({ link, requestTimeoutMs: 50 });
  const slowContract = defineRpc('test.slow-with-own-timeout', Ping, Ping, { timeoutMs: 2_000 });

  beforeAll(() => {
    // Both subjects answer after 200 ms: longer than the bus's 50 ms, shorter than the contract's own 2 s.
    for (const subject of [slowContract.subject, 'test.slow-without-own-timeout']) {
      link.subscribe(subject, 'q', (msg) => {
        setTimeout(() => msg.respond!(encodeReply({ ok: true, data: { n: 1 } }, link.maxPayload())), 200);
      });
    }
  });

  afterAll(() => link.close());

  it("waits as long as a contract's own timeout when it is longer than the bus's", async () => {
    await expect(lastValueFrom(client.send(slowContract.subject, { n: 0 }))).resolves.toEqual({ n: 1 });
  });

  it("gives up after the bus's timeout for a subject without one", async () => {
    await expect(lastValueFrom(client.send('test.slow-without-own-timeout', { n: 0 }))).rejects.toMatchObject({ code: 'timeout' });
  });

  it('waits for a peer request longer than its own deadline', () => {
    // A requester that gave up first would send the same batch again while the peer still applies it.
    expect(SendToPeer.timeoutMs).toBeGreaterThan(SEND_TIMEOUT_MS);
    expect(AcceptInvite.timeoutMs).toBeGreaterThan(PING_TIMEOUT_MS);
  });
});
