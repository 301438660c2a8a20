import { PeerRequestError } from '@fedchat/common';
import type { AppConfig, Bus, FileStore, PeerClient, PeerStreamPost } from '@fedchat/common';
import { FileInfo, Post, RemoteCluster, SharedChannelRemote } from '@fedchat/models';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { AttachmentSender, TransferError } from './attachment-sender.service';
import type { ClaimedTransfer, TransferQueue } from './transfer-queue.service';
import { TransferMetrics } from './transfer.metrics';

const id = (c: string) => c.repeat(26);
const SIZE = 1000;
const file = {
  id: id('f'),
  creator_id: id('u'),
  post_id: id('p'),
  delete_at: 0,
  remote_id: '',
  size: SIZE,
  name: 'a.bin',
  path: 'x/a.bin',
  content_digest: 'd'.repeat(64),
};
const transfer: ClaimedTransfer = {
  id: id('t'),
  file_id: file.id,
  remote_id: id('r'),
  channel_id: id('c'),
  post_id: file.post_id,
  failures: 0,
};

/** An AttachmentSender over stubs: the peer's answers to the upload message and to each POST are scripted. */
function setup(
  sessions: Array<{ status: 'OK' | 'FAIL'; err?: string; offset?: number }>,
  posts: Array<{ status: number; body: string } | Error>,
) {
  const rows = new Map<unknown, unknown>([
    [FileInfo, file],
    [Post, { id: file.post_id, delete_at: 0 }],
    [RemoteCluster, { remote_id: transfer.remote_id, site_url: 'http://peer.example', remote_token: 'tok' }],
  ]);
  const dataSource = {
    getRepository: (entity: unknown) => ({
      findOneBy: async () => rows.get(entity),
      existsBy: async () => entity === SharedChannelRemote,
    }),
    query: jest.fn(),
  } as unknown as DataSource;
  const bus = {
    request: jest.fn(async () => {
      const s = sessions.shift()!;
      return s.status === 'OK'
        ? {
            status: 'OK',
            payload: {
              id: id('s'),
              type: 'attachment',
              user_id: file.creator_id,
              channel_id: transfer.channel_id,
              filename: 'a.bin',
              file_size: SIZE,
              file_offset: s.offset,
              req_file_id: file.id,
            },
          }
        : { status: 'FAIL', err: s.err };
    }),
  } as unknown as Bus;
  const ranges: Array<{ start: number; end: number }> = [];
  const store = {
    readStream: jest.fn(async (_path: string, range: { start: number; end: number }) => {
      ranges.push(range);
      return Readable.from([Buffer.alloc(range.end - range.start + 1)]);
    }),
  } as unknown as FileStore;
  const requests: PeerStreamPost[] = [];
  const peers = {
    postStream: jest.fn(async (req: PeerStreamPost) => {
      requests.push(req);
      for await (const chunk of req.body) void chunk;
      const answer = posts.shift()!;
      if (answer instanceof Error) throw answer;
      return answer;
    }),
  } as unknown as PeerClient;
  const queue = { addBytes: jest.fn(async () => undefined) } as unknown as TransferQueue;
  const config = { fileTransfer: { idleTimeoutMs: 1000, requestTimeoutMs: 60_000 } } as AppConfig;
  const sender = new AttachmentSender(dataSource, config, store, bus, peers, queue, new TransferMetrics());
  return { sender, bus, ranges, requests, queue };
}

const run = (sender: AttachmentSender) => sender.transfer(transfer, new AbortController().signal);

describe('AttachmentSender', () => {
  it('sends from the offset the peer reports, with a matching Content-Range, and completes on 200', async () => {
    const { sender, ranges, requests, queue } = setup(
      [{ status: 'OK', offset: 600 }],
      [{ status: 200, body: JSON.stringify({ id: file.id }) }],
    );
    await run(sender);
    expect(ranges).toEqual([{ start: 600, end: SIZE - 1 }]);
    expect(requests[0].headers).toEqual({ 'Content-Range': `bytes 600-${SIZE - 1}/${SIZE}` });
    expect(requests[0].contentLength).toBe(400);
    expect(requests[0].path).toBe(`/api/v4/remotecluster/upload/${id('s')}`);
    expect(queue.addBytes).toHaveBeenCalledWith(transfer, 400);
  });

  it('asks again after a 204 and continues from the new offset', async () => {
    const { sender, ranges, bus } = setup(
      [
        { status: 'OK', offset: 0 },
        { status: 'OK', offset: 800 },
      ],
      [
        { status: 204, body: '' },
        { status: 200, body: JSON.stringify({ id: file.id }) },
      ],
    );
    await run(sender);
    expect(bus.request).toHaveBeenCalledTimes(2);
    expect(ranges.map((r) => r.start)).toEqual([0, 800]);
  });

  it('asks the peer to finish with an empty body, reading nothing, when it already has every byte', async () => {
    const { sender, requests, ranges } = setup([{ status: 'OK', offset: SIZE }], [{ status: 200, body: JSON.stringify({ id: file.id }) }]);
    await run(sender);
    expect(ranges).toEqual([]);
    expect(requests.map((r) => [r.contentLength, r.headers])).toEqual([[0, {}]]);
  });

  it.each([
    ['a 413 answer', [{ status: 'OK' as const, offset: 0 }], [{ status: 413, body: '{"id":"api.file.too_large"}' }]],
    ['a refused upload message', [{ status: 'FAIL' as const, err: 'api.upload.create.upload_too_large.app_error' }], []],
    ['a 501 answer', [{ status: 'OK' as const, offset: 0 }], [{ status: 501, body: '' }]],
  ])('treats %s as permanent', async (_what, sessions, posts) => {
    const { sender } = setup(sessions, posts);
    await expect(run(sender)).rejects.toMatchObject({ permanent: true, reason: 'refused' });
  });

  it.each([
    ['a 503 answer', [{ status: 'OK' as const, offset: 0 }], [{ status: 503, body: '' }]],
    ['an unreachable peer', [{ status: 'FAIL' as const, err: 'connect ECONNREFUSED' }], []],
    ['a 200 for another file', [{ status: 'OK' as const, offset: 0 }], [{ status: 200, body: JSON.stringify({ id: id('z') }) }]],
  ])('treats %s as transient', async (_what, sessions, posts) => {
    const { sender } = setup(sessions, posts);
    const err = await run(sender).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).permanent).toBe(false);
  });

  it('fails when a 204 leaves the offset where it was (no progress)', async () => {
    const { sender } = setup(
      [
        { status: 'OK', offset: 100 },
        { status: 'OK', offset: 100 },
      ],
      [{ status: 204, body: '' }],
    );
    await expect(run(sender)).rejects.toThrow(/no progress/);
  });

  it("resumes from the peer's offset when an upload request reaches its deadline, instead of failing the transfer", async () => {
    const { sender, ranges, bus, requests } = setup(
      [
        { status: 'OK', offset: 0 },
        { status: 'OK', offset: 400 },
      ],
      [
        new PeerRequestError('no complete answer within the 60000 ms deadline', true, undefined, true),
        { status: 200, body: JSON.stringify({ id: file.id }) },
      ],
    );
    await run(sender);
    expect(bus.request).toHaveBeenCalledTimes(2);
    expect(ranges.map((r) => r.start)).toEqual([0, 400]);
    expect(requests.every((r) => r.deadlineMs === 60_000)).toBe(true);
  });

  it('fails when a request cut at its deadline moved the peer no further', async () => {
    const cut = () => new PeerRequestError('no complete answer within the 60000 ms deadline', true, undefined, true);
    const { sender } = setup(
      [
        { status: 'OK', offset: 100 },
        { status: 'OK', offset: 100 },
      ],
      [cut(), cut()],
    );
    await expect(run(sender)).rejects.toThrow(/no progress/);
  });

  it('fails the attempt on other network errors (retried later with backoff)', async () => {
    const { sender } = setup([{ status: 'OK', offset: 0 }], [new PeerRequestError('connect ECONNREFUSED')]);
    const err = await run(sender).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).message).toMatch(/ECONNREFUSED/);
  });
});
