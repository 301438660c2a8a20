import { BusError, NatsLink } from '@fedchat/common';
import { freePort, startNats, TestNats, waitFor } from '@fedchat/testing';

/**
 * What an operator sees of the NATS connection: each attempt at start-up and a bounded wait, each disconnect and
 * reconnect, and bus timeouts that say when this process was cut off from NATS (not the app that would answer).
 */

function recordingLog(): { lines: string[]; info: (m: string) => void; warn: (m: string) => void; error: (m: string) => void } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

describe('NatsLink connection', () => {
  it('gives up on an unreachable NATS after the timeout, having logged each attempt, without credentials', async () => {
    const port = await freePort(); // nothing listens there
    const log = recordingLog();
    const started = Date.now();
    await expect(
      NatsLink.connect(`nats://fedchat:hunter2@127.0.0.1:${port}`, 'unreachable-test', { timeoutMs: 2500, log }),
    ).rejects.toThrow(new RegExp(`could not connect to NATS at nats://\\[redacted\\]@127\\.0\\.0\\.1:${port} within 2500 ms`));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(log.lines[0]).toBe(`info connecting to NATS at nats://[redacted]@127.0.0.1:${port}`);
    expect(log.lines.filter((l) => /^warn NATS at .* not reachable \(attempt \d+/.test(l)).length).toBeGreaterThanOrEqual(1);
    expect(log.lines.join('\n')).not.toContain('hunter2');
  });

  describe('when nats-server goes away under a connected transport', () => {
    let nats: TestNats;
    let transport: NatsLink;
    const log = recordingLog();

    afterAll(async () => {
      await transport?.close().catch(() => undefined);
      await nats?.stop();
    });

    it('logs the disconnect, names it in bus timeouts, and logs the reconnect', async () => {
      const port = await freePort();
      nats = await startNats({ port });
      transport = await NatsLink.connect(nats.url, 'reconnect-test', { timeoutMs: 5000, log });
      expect(log.lines).toContain(`info connected to NATS at 127.0.0.1:${port}`);

      await nats.stop();
      await waitFor('the disconnect log line', async () =>
        log.lines.some((l) => l.startsWith('warn disconnected from NATS')) ? true : undefined,
      );
      expect(transport.isConnected()).toBe(false);

      const failed = await transport.request('test.nobody', new Uint8Array([1]), 300).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(BusError);
      expect((failed as BusError).code).toBe('timeout');
      expect((failed as BusError).message).toBe(
        'request on test.nobody timed out after 300 ms while this server was disconnected from its NATS message bus',
      );

      nats = await startNats({ port });
      await waitFor(
        'the reconnect log line',
        async () => (log.lines.some((l) => l.startsWith('info reconnected to NATS')) ? true : undefined),
        20_000,
      );
      expect(transport.isConnected()).toBe(true);
      // Connected again: a timeout is an ordinary one (no responder answered), and says nothing about the link.
      const unanswered = transport.subscribe('test.silent', undefined, () => undefined);
      const timedOut = await transport.request('test.silent', new Uint8Array([1]), 300).catch((err: unknown) => err);
      unanswered.unsubscribe();
      expect((timedOut as BusError).message).toBe('request on test.silent timed out after 300 ms');
    });
  });
});
