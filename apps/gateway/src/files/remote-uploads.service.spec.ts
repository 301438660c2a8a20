import type { AppConfig, AppError, FileStore } from '@fedchat/common';
import type { FileInfo, UploadSession } from '@fedchat/models';
import { waitFor } from '@fedchat/testing';
import type { Request } from 'express';
import { Readable } from 'node:stream';
import type { Repository } from 'typeorm';
import { parseContentRange, RemoteUploadsService } from './remote-uploads.service';

const id = (c: string) => c.repeat(26);

describe('parseContentRange', () => {
  it('reads bytes <start>-<end>/<total>', () => {
    expect(parseContentRange('bytes 0-99/1000')).toEqual({ start: 0, end: 99, total: 1000 });
    expect(parseContentRange(' bytes 900-999/1000 ')).toEqual({ start: 900, end: 999, total: 1000 });
  });

  it('is undefined without the header', () => {
    expect(parseContentRange(undefined)).toBeUndefined();
  });

  it('refuses malformed and impossible ranges', () => {
    for (const bad of [
      'bytes=0-99',
      'bytes 0-99/*',
      'bytes */1000',
      'bytes 10-5/1000',
      'bytes 0-1000/1000',
      'bytes -1-5/10',
      'items 0-1/2',
    ]) {
      expect(parseContentRange(bad)).toBe('invalid');
    }
  });
});

/** A request body: `chunks` one after the other, with the headers a raw upload has. */
function body(chunks: Buffer[]): Request {
  const req = Readable.from(chunks) as unknown as Request;
  (req as { headers: Record<string, string> }).headers = {};
  return req;
}

/** A RemoteUploadsService over stubs: segments of 4 bytes, a session of 100 bytes at offset 0 (never completed). */
function receiver() {
  const events: string[] = [];
  const session = { id: id('s'), remote_id: id('r'), file_size: 100, file_offset: 0, content_digest: '' };
  const store = {
    writePart: jest.fn(async (_folder: string, start: number, source: Readable) => {
      events.push(`write ${start}`);
      let size = 0;
      for await (const chunk of source) size += (chunk as Buffer).length;
      return { size };
    }),
  } as unknown as FileStore;
  // Each offset update waits until the test lets it answer (`affected` 1, or 0: another request moved the session).
  const pending: Array<(affected: number) => void> = [];
  const sessions = {
    findOneBy: jest.fn(async () => ({ ...session })),
    update: jest.fn((where: { file_offset: number }, set: { file_offset: number }) => {
      events.push(`record ${where.file_offset}->${set.file_offset}`);
      return new Promise((resolve) => pending.push((affected) => resolve({ affected })));
    }),
  } as unknown as Repository<UploadSession>;
  const config = { files: { enableFileAttachments: true, transferSegmentBytes: 4 } } as AppConfig;
  const service = new RemoteUploadsService(config, store, sessions, {} as Repository<FileInfo>);
  /** Answers the offset updates as they come, `affected` each, until `until` settles. */
  const answerAll = async (until: Promise<unknown>, affected = () => 1) => {
    let done = false;
    void until.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      await new Promise((r) => setTimeout(r, 5));
      pending.splice(0).forEach((answer) => answer(affected()));
    }
  };
  return { service, events, pending, session, answerAll };
}

describe('RemoteUploadsService receiving a body', () => {
  it('keeps receiving the next segment while the offset of the one before is being recorded, recording in order', async () => {
    const { service, events, pending, session, answerAll } = receiver();
    const receiving = service.receive(session.remote_id, session.id, body([Buffer.alloc(6, 1), Buffer.alloc(6, 2)]));
    // The first record stays unanswered until the second segment is in the store: the body did not wait for it.
    await waitFor('the second segment written', async () => (events.includes('write 4') ? true : undefined), 3000, 5);
    expect(pending).toHaveLength(1);
    expect(events.slice(0, 3)).toEqual(['write 0', 'record 0->4', 'write 4']);
    await answerAll(receiving);
    await expect(receiving).resolves.toEqual({ complete: false, offset: 12 });
    // Never two records at once: each follows the one before.
    expect(events.filter((e) => e.startsWith('record'))).toEqual(['record 0->4', 'record 4->8', 'record 8->12']);
  });

  it('fails with 409 when another request moved the session while a segment was being recorded', async () => {
    const { service, session, answerAll } = receiver();
    const receiving = service.receive(session.remote_id, session.id, body([Buffer.alloc(12, 1)]));
    let answers = 0;
    await answerAll(receiving, () => (++answers === 1 ? 0 : 1));
    const err = (await receiving.catch((e: unknown) => e)) as AppError;
    expect([err.getStatus(), err.errorId]).toEqual([409, 'api.upload.upload_data.concurrent_upload.app_error']);
  });
});
