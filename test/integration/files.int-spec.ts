import { Client4 } from '@mattermost/client';
import { WebSocketEvents } from '@fedchat/chat';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { Response } from 'superagent';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import { addTeamMember, newPost, waitFor } from '@fedchat/testing';
import { defaultProfileImage, encodeRgbPng } from '../../apps/gateway/src/files/png';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** superagent parser that keeps any body as a Buffer. */
function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/** Every file under a directory (temporary ones included), relative, sorted. */
async function filesUnder(root: string, dir = root): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(root, full)));
    else out.push(path.relative(root, full));
  }
  return out.sort();
}

type Part = { name: string; value?: string; filename?: string; data?: Buffer; contentType?: string };

/** A multipart/form-data body built by hand, for names and shapes a form library would not send. */
function multipart(boundary: string, parts: Part[], end = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined)
      head += `; filename="${p.filename.replace(/[\\"]/g, '\\$&')}"\r\nContent-Type: ${p.contentType ?? 'application/octet-stream'}`;
    chunks.push(Buffer.from(head + '\r\n\r\n', 'utf8'), p.data ?? Buffer.from(p.value ?? '', 'utf8'), Buffer.from('\r\n'));
  }
  if (end) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

function pngImage(width: number, height: number): Buffer {
  return encodeRgbPng(width, height, randomBytes(width * height * 3));
}

/** A JPEG with the right markers and a start-of-frame (enough for the header reader; not decodable pixels). */
function jpegImage(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  const app0 = Buffer.concat([Buffer.from([0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    app0,
    sof,
    Buffer.from([0xff, 0xda, 0, 2]),
    randomBytes(500),
    Buffer.from([0xff, 0xd9]),
  ]);
}

let h: GatewayHarness;
let filesRoot: string;
let db: DataSource;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let teamId: string;
let channelId: string;
let privateChannelId: string;
let baseUrl: string | undefined;

/** The gateway on a real port (for Client4 and raw sockets), started once. */
async function listening(): Promise<string> {
  return (baseUrl ??= await h.listen());
}

async function fileRowCount(): Promise<number> {
  const rows: { n: string }[] = await db.query('SELECT count(*) AS n FROM file_infos');
  return Number(rows[0].n);
}

function upload(user: TestUser, channel = channelId) {
  return h.as(user).post('/api/v4/files').field('channel_id', channel);
}

beforeAll(async () => {
  h = await GatewayHarness.start();
  filesRoot = path.join(h.app.get<AppConfig>(APP_CONFIG).dataDir, 'files');
  db = h.app.get(DataSource);
  admin = await h.signUp('fileadmin');
  alice = await h.signUp('filealice', admin);
  bob = await h.signUp('filebob', admin);
  ({ teamId, channelId } = await h.channelWith([alice, admin]));
  privateChannelId = (await h.channelWith([alice], 'P')).channelId;
});
afterAll(async () => {
  await h?.close();
});

describe('POST /api/v4/files and downloads', () => {
  it('stores a file and gives back the same bytes, with Mattermost FileInfo JSON', async () => {
    const data = Buffer.from('hello, files\n');
    const res = await upload(alice).field('client_ids', 'client-1').attach('files', data, 'hello.txt').expect(201);
    expect(res.body.client_ids).toEqual(['client-1']);
    expect(res.body.file_infos).toHaveLength(1);
    const info = res.body.file_infos[0];
    expect(info).toEqual({
      id: expect.stringMatching(/^[a-z0-9]{26}$/),
      user_id: alice.id,
      post_id: '',
      channel_id: channelId,
      create_at: expect.any(Number),
      update_at: info.create_at,
      delete_at: 0,
      name: 'hello.txt',
      extension: 'txt',
      size: data.length,
      mime_type: 'text/plain',
      width: 0,
      height: 0,
      has_preview_image: false,
      mini_preview: null,
      archived: false,
    });

    const [row] = await db.query('SELECT path, content_digest FROM file_infos WHERE id = $1', [info.id]);
    expect(row.content_digest).toBe(sha256(data));
    const day = new Date(info.create_at).toISOString().slice(0, 10).replace(/-/g, '');
    expect(row.path).toBe(`data/${day}/teams/noteam/channels/${channelId}/users/${alice.id}/${info.id}/hello.txt`);
    expect(await filesUnder(filesRoot)).toContain(row.path);

    const dl = await h.as(alice).get(`/api/v4/files/${info.id}`).buffer(true).parse(binary).expect(200);
    expect(dl.body).toEqual(data);
    expect(dl.headers['content-type']).toMatch(/^text\/plain/);
    expect(dl.headers['content-length']).toBe(String(data.length));
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    expect(dl.headers['content-disposition']).toBe(`attachment; filename="hello.txt"; filename*=UTF-8''hello.txt`);

    const got = await h.as(alice).get(`/api/v4/files/${info.id}/info`).expect(200);
    expect(got.body).toEqual(info);
  });

  it('stores several files in one request, reading image sizes; images are shown inline', async () => {
    const png = pngImage(7, 5);
    const jpg = jpegImage(640, 480);
    const res = await upload(alice)
      .attach('files', png, 'pic.png')
      .attach('files', jpg, 'photo.JPG')
      .attach('files', Buffer.from('{"a":1}'), 'data.json')
      .expect(201);
    expect(res.body.client_ids).toEqual([]);
    const [a, b, c] = res.body.file_infos;
    expect([a.name, a.mime_type, a.width, a.height]).toEqual(['pic.png', 'image/png', 7, 5]);
    expect([b.name, b.extension, b.mime_type, b.width, b.height]).toEqual(['photo.JPG', 'jpg', 'image/jpeg', 640, 480]);
    expect([c.mime_type, c.width]).toEqual(['application/json', 0]);
    const dl = await h.as(alice).get(`/api/v4/files/${a.id}`).buffer(true).parse(binary).expect(200);
    expect(dl.body).toEqual(png);
    expect(dl.headers['content-type']).toBe('image/png');
    expect(dl.headers['content-disposition']).toMatch(/^inline; /);
    const forced = await h.as(alice).get(`/api/v4/files/${a.id}?download=1`).buffer(true).parse(binary).expect(200);
    expect(forced.headers['content-disposition']).toMatch(/^attachment; /);
  });

  it('serves HTML and scripts as text/plain attachments', async () => {
    const res = await upload(alice).attach('files', Buffer.from('<script>alert(1)</script>'), 'x.html').expect(201);
    const info = res.body.file_infos[0];
    expect(info.mime_type).toBe('text/html');
    const dl = await h.as(alice).get(`/api/v4/files/${info.id}`).buffer(true).parse(binary).expect(200);
    expect(dl.headers['content-type']).toMatch(/^text\/plain/);
    expect(dl.headers['content-disposition']).toMatch(/^attachment; /);
  });

  it('streams a 20 MiB file both ways byte-identically, and serves byte ranges', async () => {
    const big = randomBytes(20 * 1024 * 1024);
    const res = await upload(alice).attach('files', big, 'big.bin').expect(201);
    const info = res.body.file_infos[0];
    expect(info.size).toBe(big.length);
    const dl = await h.as(alice).get(`/api/v4/files/${info.id}`).buffer(true).parse(binary).expect(200);
    expect(dl.headers['content-type']).toBe('application/octet-stream');
    expect(sha256(dl.body)).toBe(sha256(big));

    const part = await h.as(alice).get(`/api/v4/files/${info.id}`).set('Range', 'bytes=1000-1999').buffer(true).parse(binary).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-1999/${big.length}`);
    expect(part.body).toEqual(big.subarray(1000, 2000));
    const tail = await h.as(alice).get(`/api/v4/files/${info.id}`).set('Range', 'bytes=-10').buffer(true).parse(binary).expect(206);
    expect(tail.body).toEqual(big.subarray(big.length - 10));
    await h.as(alice).get(`/api/v4/files/${info.id}`).set('Range', `bytes=${big.length}-`).expect(416);
  });

  it('keeps hostile file names inside the store', async () => {
    const longName = 'x'.repeat(600) + '.txt';
    const names = ['../../etc/passwd', '..\\..\\boot.ini', longName, 'résumé 日本語.txt', '..', 'a"b;c.txt'];
    const boundary = 'hostile' + newId();
    const body = multipart(boundary, [
      { name: 'channel_id', value: channelId },
      ...names.map((n, i) => ({ name: 'files', filename: n, data: Buffer.from(`content ${i}`) })),
    ]);
    const before = await filesUnder(filesRoot);
    const res = await h
      .as(alice)
      .post('/api/v4/files')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body)
      .expect(201);
    const infos = res.body.file_infos as { id: string; name: string }[];
    expect(infos.map((i) => i.name)).toEqual(['passwd', 'boot.ini', longName, 'résumé 日本語.txt', 'file', 'a"b;c.txt']);
    const added = (await filesUnder(filesRoot)).filter((f) => !before.includes(f));
    expect(added).toHaveLength(names.length);
    for (const f of added) {
      expect(f.startsWith(`data/`)).toBe(true);
      expect(f.split('/')).toHaveLength(10);
      expect(Buffer.byteLength(path.basename(f))).toBeLessThanOrEqual(200);
    }
    for (const [i, info] of infos.entries()) {
      const dl = await h.as(alice).get(`/api/v4/files/${info.id}`).buffer(true).parse(binary).expect(200);
      expect(dl.body.toString()).toBe(`content ${i}`);
    }
    const uni = await h.as(alice).get(`/api/v4/files/${infos[3].id}`).expect(200);
    expect(uni.headers['content-disposition']).toBe(
      `attachment; filename="r_sum_ ___.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E6%97%A5%E6%9C%AC%E8%AA%9E.txt`,
    );
  });

  it('accepts channel_id as a query parameter; refuses a different one in the form', async () => {
    const res = await h.as(alice).post(`/api/v4/files?channel_id=${channelId}`).attach('files', Buffer.from('q'), 'q.txt').expect(201);
    expect(res.body.file_infos[0].channel_id).toBe(channelId);
    const other = await h
      .as(alice)
      .post(`/api/v4/files?channel_id=${channelId}`)
      .field('channel_id', privateChannelId)
      .attach('files', Buffer.from('q'), 'q.txt');
    expect(other.status).toBe(400);
    expect(other.body.id).toBe('api.file.upload_file.multiple_channel_ids.app_error');
  });

  it('works with Mattermost’s own Client4', async () => {
    const client = new Client4();
    client.setUrl(await listening());
    client.setToken(alice.token);
    client.setIncludeCookies(false);
    const form = new FormData();
    form.append('channel_id', channelId);
    form.append('client_ids', 'c4');
    form.append('files', new Blob([Buffer.from('via client4')]), 'client4.txt');
    const res = await client.uploadFile(form);
    expect(res.client_ids).toEqual(['c4']);
    expect(res.file_infos[0].name).toBe('client4.txt');
    const fetched = await fetch(client.getFileUrl(res.file_infos[0].id, Date.now()), {
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    expect(await fetched.text()).toBe('via client4');
    const me = await client.getMe();
    const picture = await fetch(client.getProfilePictureUrl(me.id, me.last_picture_update), {
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    expect(picture.headers.get('content-type')).toBe('image/png');
  });
});

describe('file access', () => {
  let fileId: string;
  let postId: string;

  beforeAll(async () => {
    const res = await upload(alice).attach('files', Buffer.from('secret'), 'secret.txt').expect(201);
    fileId = res.body.file_infos[0].id;
  });

  it('lets only the uploader read a file not yet attached to a post', async () => {
    await h.as(alice).get(`/api/v4/files/${fileId}/info`).expect(200);
    const res = await h.as(bob).get(`/api/v4/files/${fileId}`).expect(403);
    expect(res.body.id).toBe('api.context.permissions.app_error');
    await h.as(admin).get(`/api/v4/files/${fileId}/info`).expect(200); // system admins read everything
  });

  it('lets whoever can read the post’s channel read an attached file', async () => {
    ({ id: postId } = await newPost(db, { user_id: alice.id, channel_id: channelId, message: 'see file', file_ids: [fileId] }));
    const carol = await h.signUp('filecarol', admin);
    await h.as(carol).get(`/api/v4/files/${fileId}`).expect(403);
    await addTeamMember(db, teamId, carol.id);
    const dl = await h.as(carol).get(`/api/v4/files/${fileId}`).buffer(true).parse(binary).expect(200); // public channel of her team
    expect(dl.body.toString()).toBe('secret');
    await h.as(bob).get(`/api/v4/files/${fileId}`).expect(403);
    await h.as(bob).get(`/api/v4/files/${fileId}/info`).expect(403);

    const infos = await h.as(admin).get(`/api/v4/posts/${postId}/files/info`).expect(200);
    expect(infos.body.map((i: { id: string }) => i.id)).toEqual([fileId]);
    expect(infos.body[0].post_id).toBe(postId);
    await h.as(bob).get(`/api/v4/posts/${postId}/files/info`).expect(403);
    await h.as(bob).get(`/api/v4/posts/${newId()}/files/info`).expect(403);
    expect((await h.as(admin).get(`/api/v4/posts/${newId()}/files/info`).expect(200)).body).toEqual([]);
    await h.as(admin).get(`/api/v4/posts/not-an-id/files/info`).expect(400);
  });

  it('answers 404 for unknown files, 400 for malformed ids, 401 without a session', async () => {
    const res = await h.as(alice).get(`/api/v4/files/${newId()}`).expect(404);
    expect(res.body.id).toBe('app.file_info.get.app_error');
    await h.as(alice).get(`/api/v4/files/${newId()}/info`).expect(404);
    await h.as(alice).get('/api/v4/files/not-a-valid-id/info').expect(400);
    await h.http.get(`/api/v4/files/${fileId}`).expect(401);
  });

  it('has no thumbnail or preview yet, and public links are off', async () => {
    const t = await h.as(alice).get(`/api/v4/files/${fileId}/thumbnail`).expect(400);
    expect(t.body.id).toBe('api.file.get_file_thumbnail.no_thumbnail.app_error');
    const p = await h.as(alice).get(`/api/v4/files/${fileId}/preview`).expect(400);
    expect(p.body.id).toBe('api.file.get_file_preview.no_preview.app_error');
    await h.as(alice).get(`/api/v4/files/${fileId}/link`).expect(403);
  });
});

describe('refused uploads leave nothing behind', () => {
  let snapshot: string[];
  let rows: number;

  beforeEach(async () => {
    snapshot = await filesUnder(filesRoot);
    rows = await fileRowCount();
  });
  afterEach(async () => {
    // Removal after a failure is awaited before the response, so the tree is already back as it was.
    expect(await filesUnder(filesRoot)).toEqual(snapshot);
    expect(await fileRowCount()).toBe(rows);
  });

  type Case = [string, () => Promise<{ status: number; body: { id: string; status_code: number } }>, number, string?];
  const cases: Case[] = [
    ['a non-member', () => upload(bob).attach('files', Buffer.from('x'), 'x.txt'), 403],
    ['a private channel one cannot see', () => upload(bob, privateChannelId).attach('files', Buffer.from('x'), 'x.txt'), 404],
    [
      'no channel_id',
      () => h.as(alice).post('/api/v4/files').attach('files', Buffer.from('x'), 'x.txt'),
      400,
      'api.context.invalid_param.app_error',
    ],
    ['a malformed channel_id', () => upload(alice, 'nope').attach('files', Buffer.from('x'), 'x.txt'), 400],
    ['an unknown channel', () => upload(alice, newId()).attach('files', Buffer.from('x'), 'x.txt'), 404],
    ['no files', () => upload(alice), 400, 'api.file.upload_file.no_file.app_error'],
    [
      'eleven files',
      () => {
        let req = upload(alice);
        for (let i = 0; i < 11; i++) req = req.attach('files', Buffer.from(`f${i}`), `f${i}.txt`);
        return req;
      },
      400,
      'api.file.upload_file.too_many_files.app_error',
    ],
    [
      'fewer client_ids than files',
      () => upload(alice).field('client_ids', 'one').attach('files', Buffer.from('a'), 'a.txt').attach('files', Buffer.from('b'), 'b.txt'),
      400,
    ],
    ['an unknown form field', () => upload(alice).field('bogus', '1').attach('files', Buffer.from('x'), 'x.txt'), 400],
    ['a JSON body', () => h.as(alice).post('/api/v4/files').send({ channel_id: 'x' }), 400, 'api.file.upload_file.read_request.app_error'],
    [
      'a multipart type without a boundary',
      () => h.as(alice).post('/api/v4/files').set('Content-Type', 'multipart/form-data').send('garbage'),
      400,
      'api.file.upload_file.read_request.app_error',
    ],
    [
      'a body cut off inside a file',
      () => {
        const b = 'cut' + newId();
        const body = multipart(b, [
          { name: 'channel_id', value: channelId },
          { name: 'files', filename: 'first.txt', data: Buffer.from('complete') },
          { name: 'files', filename: 'second.txt', data: randomBytes(200_000) },
        ]);
        return h
          .as(alice)
          .post('/api/v4/files')
          .set('Content-Type', `multipart/form-data; boundary=${b}`)
          .send(body.subarray(0, body.length - 1000));
      },
      400,
      'api.file.upload_file.read_request.app_error',
    ],
    [
      'a body without its closing boundary',
      () => {
        const b = 'noend' + newId();
        const body = multipart(
          b,
          [
            { name: 'channel_id', value: channelId },
            { name: 'files', filename: 'a.txt', data: Buffer.from('a') },
          ],
          false,
        );
        return h.as(alice).post('/api/v4/files').set('Content-Type', `multipart/form-data; boundary=${b}`).send(body);
      },
      400,
    ],
  ];

  // Rows as objects: jest.each would take a missing last element for a `done` callback.
  it.each(cases.map(([what, send, status, id]) => ({ what, send, status, id })))('refuses $what', async ({ send, status, id }) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.status_code).toBe(status);
    if (id) expect(res.body.id).toBe(id);
  });

  it('cleans up when the client goes away mid-upload', async () => {
    const base = await listening();
    const b = 'abort' + newId();
    const head = multipart(
      b,
      [
        { name: 'channel_id', value: channelId },
        { name: 'files', filename: 'done.txt', data: Buffer.from('done') },
      ],
      false,
    );
    const fileHead = Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="files"; filename="partial.bin"\r\n\r\n`);
    const req = http.request(`${base}/api/v4/files`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${alice.token}`,
        'Content-Type': `multipart/form-data; boundary=${b}`,
        'Content-Length': String(50 * 1024 * 1024),
      },
    });
    req.on('error', () => undefined);
    req.write(Buffer.concat([head, fileHead, randomBytes(2 * 1024 * 1024)]));
    // The first file is complete and the second is being written: both visible on disk (one as a temporary file).
    await waitFor('the upload to reach the disk', async () => {
      const now = await filesUnder(filesRoot);
      const added = now.filter((f) => !snapshot.includes(f));
      return added.some((f) => f.endsWith('.partial')) && added.some((f) => f.endsWith('/done.txt')) ? true : undefined;
    });
    req.destroy();
    await waitFor(
      'the upload to be cleaned up',
      async () => ((await filesUnder(filesRoot)).length === snapshot.length ? true : undefined),
      10_000,
      20,
    );
  });
});

describe('size and feature limits', () => {
  let small: GatewayHarness;
  let smallRoot: string;
  let user: TestUser;
  let chan: string;

  beforeAll(async () => {
    small = await GatewayHarness.start({ MM_FILESETTINGS_MAXFILESIZE: '100000' });
    smallRoot = path.join(small.app.get<AppConfig>(APP_CONFIG).dataDir, 'files');
    user = await small.signUp('smalluser');
    chan = (await small.channelWith([user])).channelId;
  });
  afterAll(async () => {
    await small?.close();
  });

  it('accepts a file of exactly MaxFileSize', async () => {
    await small.as(user).post('/api/v4/files').field('channel_id', chan).attach('files', randomBytes(100_000), 'exact.bin').expect(201);
  });

  it('refuses a larger file with 413, keeping neither it nor the files before it', async () => {
    const before = await filesUnder(smallRoot);
    const res = await small
      .as(user)
      .post('/api/v4/files')
      .field('channel_id', chan)
      .attach('files', Buffer.from('fine'), 'fine.txt')
      .attach('files', randomBytes(100_001), 'over.bin')
      .attach('files', Buffer.from('after'), 'after.txt');
    expect(res.status).toBe(413);
    expect(res.body.id).toBe('api.file.upload_file.too_large_detailed.app_error');
    expect(await filesUnder(smallRoot)).toEqual(before);
    const rows: { n: string }[] = await small.app.get(DataSource).query('SELECT count(*) AS n FROM file_infos');
    expect(Number(rows[0].n)).toBe(1);
  });

  it('refuses a larger file sent well past the limit (the rest of the body is drained)', async () => {
    const res = await small
      .as(user)
      .post('/api/v4/files')
      .field('channel_id', chan)
      .attach('files', randomBytes(3 * 1024 * 1024), 'huge.bin');
    expect(res.status).toBe(413);
  });

  it('refuses a profile picture over the limit', async () => {
    const res = await small.as(user).post(`/api/v4/users/${user.id}/image`).attach('image', pngImage(200, 200), 'big.png');
    expect(res.status).toBe(413);
    expect(res.body.id).toBe('api.user.upload_profile_user.too_large.app_error');
    expect((await filesUnder(smallRoot)).filter((f) => f.startsWith('users/'))).toEqual([]);
  });

  it('refuses uploads when attachments are disabled', async () => {
    const off = await GatewayHarness.start({ MM_FILESETTINGS_ENABLEFILEATTACHMENTS: 'false' });
    try {
      const u = await off.signUp('offuser');
      const c = (await off.channelWith([u])).channelId;
      const res = await off.as(u).post('/api/v4/files').field('channel_id', c).attach('files', Buffer.from('x'), 'x.txt');
      expect(res.status).toBe(403);
      expect(res.body.id).toBe('api.file.attachments.disabled.app_error');
    } finally {
      await off.close();
    }
  });
});

describe('profile pictures', () => {
  const profileFiles = async (userId: string) => (await filesUnder(filesRoot)).filter((f) => f.startsWith(`users/${userId}/`));

  function pngSize(png: Buffer): [number, number] {
    return [png.readUInt32BE(16), png.readUInt32BE(20)];
  }

  it('serves a generated 128x128 PNG until one is set', async () => {
    const res = await h.as(bob).get(`/api/v4/users/${alice.id}/image`).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['cache-control']).toBe('max-age=300, private');
    expect(res.headers['last-modified']).toBeDefined();
    expect(pngSize(res.body)).toEqual([128, 128]);
    // One colour throughout: the first row of pixels repeats the first pixel.
    const idatLength = res.body.readUInt32BE(33);
    const raw = inflateSync(res.body.subarray(41, 41 + idatLength));
    expect(raw.length).toBe(128 * (128 * 3 + 1));
    const dflt = await h.as(bob).get(`/api/v4/users/${alice.id}/image/default`).buffer(true).parse(binary).expect(200);
    expect(dflt.body).toEqual(res.body);
    expect(res.body).toEqual(defaultProfileImage(alice.id));
    const bobs = await h.as(bob).get(`/api/v4/users/me/image`).buffer(true).parse(binary).expect(200);
    expect(bobs.body).toEqual(defaultProfileImage(bob.id));
    await h.as(bob).get(`/api/v4/users/${newId()}/image`).expect(404);
    await h.as(bob).get(`/api/v4/users/bad-id/image`).expect(400);
  });

  it('sets, serves, replaces and resets a picture, telling everyone', async () => {
    const events = jest.spyOn(h.app.get(WebSocketEvents), 'toAll');
    const png = pngImage(40, 30);
    const set = await h.as(alice).post(`/api/v4/users/${alice.id}/image`).attach('image', png, 'me.png').expect(200);
    expect(set.body).toEqual({ status: 'OK' });
    const me = (await h.as(alice).get('/api/v4/users/me').expect(200)).body;
    expect(me.last_picture_update).toBeGreaterThan(0);
    expect(events).toHaveBeenLastCalledWith(
      'user_updated',
      { user: expect.objectContaining({ id: alice.id, last_picture_update: me.last_picture_update }) },
      expect.arrayContaining([alice.id]),
    );
    const sent = (events.mock.calls.at(-1)![1] as { user: Record<string, unknown> }).user;
    expect(sent).not.toHaveProperty('password');
    expect(sent).not.toHaveProperty('mfa_secret');

    // Stored as Mattermost stores it: a 128x128 PNG, whatever the upload's size and format.
    const got = await h.as(bob).get(`/api/v4/users/${alice.id}/image?_=${me.last_picture_update}`).buffer(true).parse(binary).expect(200);
    expect(pngSize(got.body)).toEqual([128, 128]);
    expect(got.body).not.toEqual(png);
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.headers['cache-control']).toBe('max-age=86400, private');
    expect(got.headers.etag).toBe(String(me.last_picture_update));
    await h.as(bob).get(`/api/v4/users/${alice.id}/image`).set('If-None-Match', String(me.last_picture_update)).expect(304);
    expect(await profileFiles(alice.id)).toEqual([`users/${alice.id}/profile.png`]);

    const jpg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c04020' } })
      .jpeg()
      .toBuffer();
    await h.as(alice).post(`/api/v4/users/me/image`).attach('image', jpg, 'me.jpg').expect(200);
    const got2 = await h.as(bob).get(`/api/v4/users/${alice.id}/image`).buffer(true).parse(binary).expect(200);
    expect(got2.headers['content-type']).toBe('image/png');
    expect(pngSize(got2.body)).toEqual([128, 128]);
    expect(got2.body).not.toEqual(got.body);
    expect(await profileFiles(alice.id)).toEqual([`users/${alice.id}/profile.png`]);

    await h.as(alice).delete(`/api/v4/users/${alice.id}/image`).expect(200);
    const after = (await h.as(alice).get('/api/v4/users/me').expect(200)).body;
    expect(after.last_picture_update).toBe(0);
    expect(after.update_at).toBeGreaterThanOrEqual(me.update_at);
    expect(await profileFiles(alice.id)).toEqual([]);
    const back = await h.as(bob).get(`/api/v4/users/${alice.id}/image`).buffer(true).parse(binary).expect(200);
    expect(pngSize(back.body)).toEqual([128, 128]);
    expect(events).toHaveBeenLastCalledWith(
      'user_updated',
      { user: expect.objectContaining({ id: alice.id, last_picture_update: 0 }) },
      expect.arrayContaining([alice.id]),
    );
    events.mockRestore();
  });

  it('lets a system admin set another user’s picture, and nobody else', async () => {
    const res = await h.as(bob).post(`/api/v4/users/${alice.id}/image`).attach('image', pngImage(4, 4), 'x.png');
    expect(res.status).toBe(403);
    await h.as(bob).delete(`/api/v4/users/${alice.id}/image`).expect(403);
    await h.as(admin).post(`/api/v4/users/${alice.id}/image`).attach('image', pngImage(4, 4), 'x.png').expect(200);
    expect(await profileFiles(alice.id)).toEqual([`users/${alice.id}/profile.png`]);
    await h.as(admin).delete(`/api/v4/users/${alice.id}/image`).expect(200);
  });

  it('refuses what is not a PNG, JPEG or GIF, a missing image part, and broken bodies', async () => {
    const notImage = await h
      .as(bob)
      .post(`/api/v4/users/${bob.id}/image`)
      .attach('image', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'x.png');
    expect(notImage.status).toBe(400);
    expect(notImage.body.id).toBe('api.user.upload_profile_user.decode.app_error');
    const tiny = await h
      .as(bob)
      .post(`/api/v4/users/${bob.id}/image`)
      .attach('image', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'x.png');
    expect(tiny.status).toBe(400);
    const none = await h.as(bob).post(`/api/v4/users/${bob.id}/image`).attach('picture', pngImage(2, 2), 'x.png');
    expect(none.status).toBe(400);
    expect(none.body.id).toBe('api.user.upload_profile_user.no_file.app_error');
    const json = await h.as(bob).post(`/api/v4/users/${bob.id}/image`).send({ image: 'x' });
    expect(json.status).toBe(400);
    const b = 'img' + newId();
    const cut = multipart(b, [{ name: 'image', filename: 'x.png', data: pngImage(50, 50) }]);
    const truncated = await h
      .as(bob)
      .post(`/api/v4/users/${bob.id}/image`)
      .set('Content-Type', `multipart/form-data; boundary=${b}`)
      .send(cut.subarray(0, cut.length - 200));
    expect(truncated.status).toBe(400);
    expect(await profileFiles(bob.id)).toEqual([]);
    const bobNow = (await h.as(bob).get('/api/v4/users/me').expect(200)).body;
    expect(bobNow.last_picture_update).toBe(0);
  });

  it('works through Client4', async () => {
    const client = new Client4();
    client.setUrl(await listening());
    client.setToken(bob.token);
    client.setIncludeCookies(false);
    const png = pngImage(8, 8);
    await client.uploadProfileImage(bob.id, new Blob([png], { type: 'image/png' }) as unknown as File);
    expect(await profileFiles(bob.id)).toEqual([`users/${bob.id}/profile.png`]);
    await client.setDefaultProfileImage(bob.id);
    expect(await profileFiles(bob.id)).toEqual([]);
  });
});
