import { metricsRegistry } from '@fedchat/common';
import { PEER_TOPICS } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { newRemote, newShare } from '@fedchat/testing';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * Seeded fuzzing of every operation of docs/openapi.json against the real gateway (all five apps, real PostgreSQL):
 * path and query parameters and JSON bodies built from the schemas, then mutated (wrong types, huge and negative
 * numbers, NUL, unpaired surrogates, deep nesting, oversize bodies, prototype-named keys, broken JSON), sent as the
 * admin, a plain user, nobody, and on the peer endpoints as the peer (valid credentials) and as an impostor.
 * No answer may be a 5xx; every 4xx must be Mattermost's error JSON; the server must be healthy at the end.
 *
 * FUZZ_SEED=<n> replays a run (the seed is printed); FUZZ_CASE=<i> replays one case of it; FUZZ_ITERATIONS=<n>
 * sets the number of cases (default 1000: 15-30 s here, start-up included).
 */

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1000);
const ONLY_CASE = process.env.FUZZ_CASE === undefined ? undefined : Number(process.env.FUZZ_CASE);
const PAYLOAD_LIMIT = 300_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Schema {
  $ref?: string;
  type?: string;
  enum?: Json[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  format?: string;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  parameters: Parameter[];
  body?: { contentType: string; schema?: Schema };
  /** Documents a 501 (a feature the suite has switched off, as Mattermost answers it): not a server error there. */
  notImplemented: boolean;
}
type Caller = 'admin' | 'user' | 'none' | 'bogus' | 'peer' | 'impostor';

const openapi = JSON.parse(readFileSync(path.join(__dirname, '../../docs/openapi.json'), 'utf8')) as {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema?: Schema }> }; responses?: Record<string, unknown> }
    >
  >;
  components: { schemas: Record<string, Schema> };
};

const OPERATIONS: Operation[] = Object.entries(openapi.paths).flatMap(([route, ops]) =>
  Object.entries(ops).map(([method, op]) => {
    const [contentType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
    return {
      method: method as Operation['method'],
      path: route,
      parameters: op.parameters ?? [],
      body: contentType ? { contentType, schema: media?.schema } : undefined,
      notImplemented: Object.hasOwn(op.responses ?? {}, '501'),
    };
  }),
);

const PEER_MSG = OPERATIONS.find((op) => op.method === 'post' && op.path === '/api/v4/remotecluster/msg')!;
const PEER_ROUTE = /^\/api\/v4\/remotecluster\/(ping|msg|confirm_invite|upload\/\{upload_id\}|\{user_id\}\/image)$/;
/**
 * Destructive operations stay in the run but must not end it: deactivating or renaming (patch) a user, and deleting a
 * connection, target a victim user or connection (`paramValue`) rather than the signed-in admin and user or the
 * fuzzing peer; a logout (or anything else that ends a session) is followed by a new login (`keepSignedIn`).
 */
const ENDS_SESSION = /^\/api\/v4\/users\/\{user_id\}\/(active|patch)$/;
const ENDS_CONNECTION = (op: Operation) => op.method === 'delete' && op.path === '/api/v4/remotecluster/{remote_id}';
/** PBKDF2 with 600,000 iterations on every call: a few cases are enough to keep the run short. */
const SLOW = /^\/api\/v4\/remotecluster(\/accept_invite|\/\{remote_id\}\/generate_invite)?$/;
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function rngOf(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random choices of one case. */
class Dice {
  constructor(readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  id(): string {
    const alphabet = 'ybndrfg8ejkmcpqxot1uwisza345h769';
    return Array.from({ length: 26 }, () => this.pick([...alphabet])).join('');
  }
  word(): string {
    return Array.from({ length: this.int(1, 12) }, () => this.pick([...'abcdefghijklmnopqrstuvwxyz0123456789-_.'])).join('');
  }
}

/** Marks a place in a body where a deeply nested value goes (JSON.stringify would recurse through a real one). */
const DEEP = '\u0001deep\u0001';
const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** A string meant to break something: bytes PostgreSQL refuses, huge, odd Unicode, SQL and path syntax, prototype names. */
function hostileString(d: Dice): string {
  return d.pick([
    '',
    'a\u0000b',
    '\u0000',
    'x\ud800',
    '\udc00y',
    '\ud83d\ude00',
    'x'.repeat(d.pick([65, 300, 5000, 70_000])),
    "' OR 1=1 --",
    '../../etc/passwd',
    '%00',
    '<script>alert(1)</script>',
    '99999999999999999999',
    '-1',
    '1e400',
    'NaN',
    'me',
    d.pick(PROTOTYPE_NAMES),
    '\u202e\u200b\ufeff',
    ' ',
  ]);
}

function hostileNumber(d: Dice): number {
  return d.pick([1e20, -1e20, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, 0.5, -1, -0, 4294967296]);
}

function hostileValue(d: Dice): Json {
  switch (d.int(0, 6)) {
    case 0:
      return hostileString(d);
    case 1:
      return hostileNumber(d);
    case 2:
      return d.chance(0.5);
    case 3:
      return null;
    case 4:
      return [hostileString(d), hostileNumber(d)];
    case 5:
      return { [d.pick(PROTOTYPE_NAMES)]: hostileString(d) };
    default:
      return DEEP;
  }
}

function resolve(schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (schema.$ref) return resolve(openapi.components.schemas[schema.$ref.split('/').pop()!]);
  if (schema.allOf)
    return schema.allOf.map(resolve).reduce((a, b) => ({ ...a, ...b, properties: { ...a.properties, ...b.properties } }), {});
  return schema;
}

/** Ids and names of real things on the server, so that generated requests reach past the first lookups. */
interface Pool {
  ids: string[];
  names: string[];
  victimUserId: string;
  victimRemoteId: string;
}

function validString(d: Dice, pool: Pool, name: string): string {
  if (/_ids?$|^id$/.test(name) || name.endsWith('Id')) return d.chance(0.8) ? d.pick(pool.ids) : d.id();
  if (name === 'email') return `${d.word()}@example.com`;
  if (/name/.test(name)) return d.chance(0.5) ? d.pick(pool.names) : d.word();
  return d.chance(0.5) ? d.word() : `text ${d.word()} ${d.word()}`;
}

function generate(d: Dice, pool: Pool, raw: Schema | undefined, name: string, depth: number): Json {
  const schema = resolve(raw);
  if (schema.enum?.length) return d.pick(schema.enum);
  switch (schema.type) {
    case 'string':
      return validString(d, pool, name);
    case 'integer':
    case 'number':
      return d.chance(0.7) ? d.int(0, 100) : Date.now();
    case 'boolean':
      return d.chance(0.5);
    case 'array':
      return depth > 4 ? [] : Array.from({ length: d.int(0, 3) }, () => generate(d, pool, schema.items, name.replace(/s$/, ''), depth + 1));
  }
  if (schema.properties || schema.type === 'object') {
    const out: Record<string, Json> = {};
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      if (schema.required?.includes(key) || d.chance(0.6)) out[key] = generate(d, pool, prop, key, depth + 1);
    }
    if (schema.additionalProperties && d.chance(0.5)) out[d.word()] = d.chance(0.5) ? d.word() : { [d.word()]: d.int(0, 9) };
    return out;
  }
  return d.pick<Json>([d.word(), d.int(0, 9), true, null, { a: 1 }]);
}

/** Every object in a JSON value (the root included), to pick one to mutate. */
function objectsIn(value: Json, out: Record<string, Json>[] = [], depth = 0): Record<string, Json>[] {
  if (depth > 20 || value === null || typeof value !== 'object') return out;
  if (!Array.isArray(value)) out.push(value);
  for (const child of Object.values(value)) objectsIn(child, out, depth + 1);
  return out;
}

/** Own property even for `__proto__` (a plain assignment would replace the prototype and never be sent). */
function put(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** One to three mutations, in place where possible; returns the (possibly replaced) value. */
function mutate(d: Dice, value: Json): Json {
  let body = value;
  for (let n = d.int(1, 3); n > 0; n--) {
    const targets = objectsIn(body);
    const target = targets.length ? d.pick(targets) : undefined;
    const keys = target ? Object.keys(target) : [];
    switch (d.int(0, 7)) {
      case 0: // a wrong type or a hostile value in an existing field
      case 1:
        if (target) put(target, keys.length ? d.pick(keys) : d.word(), hostileValue(d));
        break;
      case 2:
        if (target && keys.length) put(target, d.pick(keys), hostileNumber(d));
        break;
      case 3:
        if (target)
          put(target, d.pick(PROTOTYPE_NAMES), d.chance(0.5) ? { [d.pick(keys.length ? keys : ['x'])]: hostileValue(d) } : hostileValue(d));
        break;
      case 4:
        if (target) put(target, d.chance(0.5) ? 'k\u0000' : 'k\ud800', d.word());
        break;
      case 5:
        if (target && keys.length) delete target[d.pick(keys)];
        break;
      case 6:
        if (target) put(target, keys.length ? d.pick(keys) : 'deep', DEEP);
        break;
      default:
        body = d.pick<Json>([[], [body], 'text', 42, null, true, DEEP]);
    }
  }
  return body;
}

/** A plausible payload for a peer topic (taken from the protocol's shapes), to reach past the frame checks. */
function peerPayload(d: Dice, pool: Pool, topic: string, channelId: string, remoteId: string): Json {
  const userId = d.chance(0.5) ? d.id() : d.pick(pool.ids);
  const user = { id: userId, username: d.word(), email: `${d.word()}@example.com`, remote_id: remoteId, update_at: Date.now(), props: {} };
  const post = {
    id: d.id(),
    channel_id: channelId,
    user_id: userId,
    create_at: Date.now(),
    update_at: Date.now(),
    message: `hello ${d.word()}`,
    props: { [d.word()]: d.word() },
    root_id: '',
    remote_id: remoteId,
    metadata: { priority: { priority: '' } },
  };
  switch (topic) {
    case 'sharedchannel_invite':
      return {
        channel_id: d.id(),
        read_only: false,
        name: d.word(),
        display_name: d.word(),
        header: '',
        purpose: '',
        type: d.pick(['O', 'P', 'D', 'G']),
        creator_id: userId,
        direct_participant_ids: [],
        direct_participants: [],
      };
    case 'sharedchannel_upload':
      return {
        id: d.id(),
        type: 'attachment',
        create_at: Date.now(),
        user_id: userId,
        channel_id: channelId,
        filename: `${d.word()}.txt`,
        file_size: d.int(0, 5000),
        file_offset: 0,
        remote_id: remoteId,
        req_file_id: d.id(),
      };
    case 'sharedchannel_unshare':
      return { channel_id: channelId, remote_id: remoteId };
    default:
      return {
        id: d.id(),
        channel_id: topic === 'sharedchannel_global_user_sync' ? '' : channelId,
        users: { [userId]: user },
        ...(d.chance(0.6) ? { posts: [post] } : {}),
        ...(d.chance(0.3)
          ? {
              reactions: [
                {
                  user_id: userId,
                  post_id: post.id,
                  emoji_name: d.word(),
                  create_at: Date.now(),
                  update_at: Date.now(),
                  delete_at: 0,
                  remote_id: remoteId,
                  channel_id: channelId,
                },
              ],
            }
          : {}),
        ...(d.chance(0.3)
          ? {
              statuses: [
                { user_id: userId, status: d.pick(['online', 'away', 'dnd', 'offline']), manual: false, last_activity_at: Date.now() },
              ],
            }
          : {}),
        ...(d.chance(0.3)
          ? {
              membership_changes: [
                { channel_id: channelId, user_id: userId, is_add: d.chance(0.5), remote_id: '', change_time: Date.now() },
              ],
            }
          : {}),
        ...(d.chance(0.2)
          ? { acknowledgements: [{ user_id: userId, post_id: post.id, acknowledged_at: Date.now(), channel_id: channelId }] }
          : {}),
        ...(d.chance(0.2) ? { mention_transforms: { [user.username]: userId } } : {}),
      };
  }
}

interface Case {
  index: number;
  caller: Caller;
  method: Operation['method'];
  url: string;
  contentType?: string;
  body?: string | Buffer;
  headers: Record<string, string>;
  notImplemented: boolean;
}

interface Failure {
  replay: string;
  request: string;
  status: number;
  problem: string;
  response: string;
}

let h: GatewayHarness;
let admin: TestUser;
let user: TestUser;
let pool: Pool;
let channelId: string;
const remoteId = newId();
const peerToken = newId();

beforeAll(async () => {
  // Rate limits (Mattermost's RateLimitSettings.Enable) would turn most of a fast run from one address into 429s.
  h = await GatewayHarness.start({ REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true', MM_RATELIMITSETTINGS_ENABLE: 'false' }, [
    RemoteClusterModule,
    SharedChannelSyncModule,
    FileTransferModule,
    UserSyncModule,
  ]);
  admin = await h.signUp('fuzzadmin');
  user = await h.signUp('fuzzuser', admin);
  const victim = await h.signUp('fuzzvictim', admin);
  const { teamId, channelId: cid } = await h.channelWith([admin, user, victim]);
  channelId = cid;
  const post = await h.as(admin).post('/api/v4/posts').send({ channel_id: channelId, message: 'fuzz root' }).expect(201);
  const victimRemoteId = newId();
  for (const [id, name, token] of [
    [remoteId, 'fuzzpeer', peerToken],
    [victimRemoteId, 'fuzzvictimpeer', newId()],
  ]) {
    await newRemote(h.db, { remote_id: id, name, creator_id: admin.id, token, remote_token: newId(), default_team_id: teamId });
  }
  // The peer shares the channel, so that its sync messages reach the receiver's deeper checks.
  await newShare(h.db, { channel_id: channelId, team_id: teamId, share_name: 'fuzz', creator_id: admin.id }, [remoteId]);
  pool = {
    ids: [teamId, channelId, post.body.id, admin.id, user.id, victim.id, remoteId, victimRemoteId],
    names: ['fuzzadmin', 'fuzzuser', 'fuzzvictim', `team-${teamId}`, `chan-${channelId}`, 'town-square', 'smile', '+1'],
    victimUserId: victim.id,
    victimRemoteId,
  };
});
afterAll(async () => {
  await h?.close();
});

function paramValue(d: Dice, op: Operation, param: Parameter): string {
  if (ENDS_SESSION.test(op.path) && param.name === 'user_id') return d.chance(0.8) ? pool.victimUserId : d.pick(['%00', d.id()]);
  if (ENDS_CONNECTION(op) && param.name === 'remote_id') return d.chance(0.8) ? pool.victimRemoteId : d.id();
  const roll = d.next();
  if (roll < 0.55) return encodeURIComponent(validString(d, pool, param.name));
  if (roll < 0.65 && param.name.includes('user')) return 'me';
  // Pre-encoded on purpose: a NUL, an unpaired surrogate as CESU-8 bytes, bytes that are not UTF-8, a lone '%'.
  if (roll < 0.8) return d.pick(['%00', 'a%00b', '%ED%A0%80', '%FF%FE', '%', '%E0%A4%A', '..', '%2e%2e%2f']);
  try {
    return encodeURIComponent(hostileString(d));
  } catch {
    return '%ED%B0%80'; // an unpaired surrogate cannot be percent-encoded as UTF-8
  }
}

function queryValue(d: Dice, param: Parameter): string {
  const type = resolve(param.schema).type;
  if (d.chance(0.5)) {
    if (type === 'boolean' || /^(include|exclude|skip|collapsed|download|get_)/.test(param.name)) return d.pick(['true', 'false']);
    if (/page|since|before|after|limit|from/i.test(param.name)) return String(d.int(0, 100));
    return encodeURIComponent(validString(d, pool, param.name));
  }
  return d.pick([
    '99999999999999999999',
    '-99999999999999999999',
    '1e400',
    '9'.repeat(400),
    'NaN',
    '-1',
    '0.5',
    '%00',
    'a%00b',
    '%ED%A0%80',
    '%',
    '',
  ]);
}

/** Builds case `index` from the seed alone, so that FUZZ_SEED and FUZZ_CASE replay it. */
function buildCase(index: number, order: Operation[]): Case {
  const d = new Dice(rngOf((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0));
  // After one pass over every operation: peer messages often (one route, many topics behind it), the rest at random.
  let op = index < order.length ? order[index] : d.chance(0.15) ? PEER_MSG : d.pick(OPERATIONS);
  if (index >= order.length && SLOW.test(op.path) && op.method === 'post' && d.chance(0.8)) op = d.pick(OPERATIONS);
  const peerRoute = PEER_ROUTE.test(op.path);
  const caller: Caller = peerRoute
    ? d.pick<Caller>(['peer', 'peer', 'peer', 'peer', 'peer', 'peer', 'peer', 'impostor', 'none', 'admin'])
    : d.pick<Caller>(['admin', 'admin', 'admin', 'user', 'user', 'none', 'bogus']);

  let url = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    paramValue(d, op, op.parameters.find((p) => p.name === name) ?? { name, in: 'path' }),
  );
  const query: string[] = [];
  for (const param of op.parameters.filter((p) => p.in === 'query')) {
    if (param.required || d.chance(0.5)) query.push(`${param.name}=${queryValue(d, param)}`);
  }
  if (op.method === 'get' && d.chance(0.2))
    query.push(`${d.pick(['page', 'per_page', 'in_team', 'since'])}=${queryValue(d, { name: 'page', in: 'query' })}`);
  if (query.length && d.chance(0.1)) query.push(query[0]); // a repeated parameter arrives as an array
  if (query.length) url += `?${query.join('&')}`;

  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  let body: string | Buffer | undefined;
  if (op.path.endsWith('/upload/{upload_id}')) {
    contentType = 'application/octet-stream';
    body = Buffer.alloc(d.int(0, 3000), d.int(0, 255));
    if (d.chance(0.5)) headers['Content-Range'] = d.pick(['bytes 0-9/10', 'bytes 5-1/3', 'bytes 0-99999999999999999999/1', 'garbage']);
  } else if (op.body?.contentType === 'multipart/form-data') {
    const boundary = `fuzz${d.int(0, 1e6)}`;
    const field = d.pick(['files', 'image', 'data', 'channel_id', d.word()]);
    const filename = d.pick(['a.png', 'a\u0000.png', 'x'.repeat(1000), '\ud800.txt', '../../x', '']);
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${d.pick(['image/png', 'text/plain', 'application/octet-stream'])}\r\n\r\n`;
    body = Buffer.concat([
      Buffer.from(head),
      Buffer.alloc(d.int(0, 2000), d.int(0, 255)),
      Buffer.from(d.chance(0.8) ? `\r\n--${boundary}--\r\n` : ''),
    ]);
    contentType = d.chance(0.9) ? `multipart/form-data; boundary=${boundary}` : 'multipart/form-data';
  } else if (op.body || d.chance(0.1)) {
    let value: Json;
    if (peerRoute && /(ping|msg|confirm_invite)$/.test(op.path)) {
      // A frame as the protocol describes it, so that most reach the topic handlers; the payload is what gets mutated.
      const topic = op.path.endsWith('/msg')
        ? d.chance(0.85)
          ? d.pick(Object.keys(PEER_TOPICS))
          : d.pick([...PROTOTYPE_NAMES, d.word()])
        : op.path.endsWith('/ping')
          ? 'ping'
          : 'invitation';
      let payload = op.path.endsWith('/ping') ? { sent_at: Date.now() } : peerPayload(d, pool, topic, channelId, remoteId);
      if (d.chance(0.5)) payload = mutate(d, payload);
      value = {
        remote_id: d.chance(0.95) ? remoteId : d.id(),
        msg: { id: d.chance(0.95) ? d.id() : d.word(), topic, create_at: Date.now(), payload },
      };
      if (d.chance(0.15)) value = mutate(d, value);
    } else {
      value = generate(d, pool, op.body?.schema, '', 0);
      if (d.chance(0.75)) value = mutate(d, value);
    }
    let text = JSON.stringify(value).replaceAll(JSON.stringify(DEEP), deepJson(d.pick([150, 5000, 50_000])));
    const wrapper = d.int(0, 19);
    if (wrapper === 0) text = text.slice(0, Math.max(0, text.length - d.int(1, 5))); // broken JSON
    if (wrapper === 1) text = JSON.stringify({ pad: 'x'.repeat(PAYLOAD_LIMIT) }); // over the payload limit
    body = text;
    contentType = d.chance(0.93)
      ? 'application/json'
      : d.pick(['text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded']);
  }
  if (body !== undefined && d.chance(0.04)) headers['Content-Encoding'] = d.pick(['gzip', 'deflate', 'br', 'x-unknown']);
  return { index, caller, method: op.method, url, contentType, body, headers, notImplemented: op.notImplemented };
}

function send(c: Case): request.Test {
  let req = request(h.app.getHttpServer())[c.method](c.url);
  if (c.caller === 'admin') req = req.set('Authorization', `Bearer ${admin.token}`);
  if (c.caller === 'user') req = req.set('Authorization', `Bearer ${user.token}`);
  if (c.caller === 'bogus') req = req.set('Authorization', `Bearer ${newId()}`);
  if (c.caller === 'peer' || c.caller === 'impostor') {
    req = req.set('X-RemoteCluster-Id', remoteId).set('X-RemoteCluster-Token', c.caller === 'peer' ? peerToken : newId());
  }
  for (const [name, value] of Object.entries(c.headers)) req = req.set(name, value);
  if (c.contentType) req = req.set('Content-Type', c.contentType);
  return c.body === undefined ? req : req.send(c.body);
}

/** What is wrong with an answer: a 5xx (but a documented 501), or a 4xx/501 that is not Mattermost's error JSON. */
function problemOf(res: request.Response, notImplemented: boolean): string | undefined {
  if (res.status >= 500 && !(res.status === 501 && notImplemented)) return 'server error';
  if (res.status < 400) return undefined;
  if (res.headers['content-type'] !== 'application/json') return `content type ${res.headers['content-type']}`;
  const b = res.body as Record<string, unknown>;
  const shaped =
    typeof b?.id === 'string' &&
    typeof b.message === 'string' &&
    typeof b.detailed_error === 'string' &&
    typeof b.request_id === 'string' &&
    b.status_code === res.status;
  return shaped ? undefined : 'not an AppError body';
}

/**
 * Peer messages the topic handlers received, by outcome. `/msg` answers an unexpected failure of a handler as FAIL
 * (never a 5xx), so those are counted here (`handler_error`; refusals are `app_error` or `invalid_payload`).
 */
async function peerHandlerOutcomes(): Promise<Map<string, number>> {
  const metric = metricsRegistry.getSingleMetric('fedchat_bus_messages_total');
  if (!metric) throw new Error('the bus metric fedchat_bus_messages_total is not registered');
  const outcomes = new Map<string, number>();
  for (const v of (await metric.get()).values) {
    if (!String(v.labels.subject).startsWith('peer.') || v.labels.role !== 'received') continue;
    outcomes.set(String(v.labels.outcome), (outcomes.get(String(v.labels.outcome)) ?? 0) + v.value);
  }
  return outcomes;
}

/**
 * After a logout or anything else that ended a session, sign the caller in again. A fuzzed case may have been the
 * admin setting the user's password (`PUT /users/{id}/password` needs no current password from an admin), so the
 * admin puts it back first.
 */
async function keepSignedIn(): Promise<void> {
  for (const who of [admin, user]) {
    const me = await h.as(who).get('/api/v4/users/me');
    if (me.status !== 401) continue;
    if (who === user) await h.as(admin).put(`/api/v4/users/${user.id}/password`).send({ new_password: 'password-123' }).expect(200);
    who.token = (await h.login(who.username)).token;
  }
}

function describeCase(c: Case): string {
  const body = c.body === undefined ? '' : ` body(${c.contentType}, ${c.body.length} bytes): ${String(c.body).slice(0, 300)}`;
  const headers = Object.entries(c.headers).map(([name, value]) => ` ${name}: ${value};`);
  return `${c.caller} ${c.method.toUpperCase()} ${c.url.slice(0, 300)}${headers.join('')}${body}`;
}

describe('API fuzzing from docs/openapi.json', () => {
  it('never answers a 5xx, answers every 4xx as Mattermost error JSON, and stays healthy', async () => {
    process.stdout.write(`api fuzz: FUZZ_SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS} (${OPERATIONS.length} operations)\n`);
    const shuffle = new Dice(rngOf(SEED));
    const order = [...OPERATIONS].sort(() => shuffle.next() - 0.5);
    const peerBefore = await peerHandlerOutcomes();
    const failures: Failure[] = [];
    const statuses = new Map<number, number>();
    const indexes = ONLY_CASE === undefined ? Array.from({ length: ITERATIONS }, (_, i) => i) : [ONLY_CASE];
    for (const index of indexes) {
      const c = buildCase(index, order);
      const res = await send(c);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const problem = problemOf(res, c.notImplemented);
      if (problem) {
        failures.push({
          replay: `FUZZ_SEED=${SEED} FUZZ_CASE=${index}`,
          request: describeCase(c),
          status: res.status,
          problem,
          response: String(res.text).slice(0, 300),
        });
      }
      if (c.url.startsWith('/api/v4/users/logout') || index % 50 === 49) await keepSignedIn();
    }
    const peerAfter = await peerHandlerOutcomes();
    const peerDelta = [...peerAfter].map(([outcome, n]) => `${outcome}×${n - (peerBefore.get(outcome) ?? 0)}`);
    const summary = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
    process.stdout.write(
      `api fuzz: answers ${summary.join(' ')}; peer topic handlers ${peerDelta.join(' ') || 'none'}; ` +
        `${failures.length} failing (replay each with its FUZZ_SEED and FUZZ_CASE)\n`,
    );
    expect(failures).toEqual([]);
    expect(peerAfter.get('handler_error') ?? 0).toBe(peerBefore.get('handler_error') ?? 0);

    // Healthy at the end: the ping, a normal write and read, and the peer endpoint.
    await keepSignedIn();
    await h.http.get('/api/v4/system/ping').expect(200);
    const { channelId: fresh } = await h.channelWith([admin]);
    const created = await h.as(admin).post('/api/v4/posts').send({ channel_id: fresh, message: 'still here' }).expect(201);
    expect((await h.as(admin).get(`/api/v4/posts/${created.body.id}`).expect(200)).body.message).toBe('still here');
    await h.as(user).get('/api/v4/users/me').expect(200);
    const ping = await h.http
      .post('/api/v4/remotecluster/ping')
      .set('X-RemoteCluster-Id', remoteId)
      .set('X-RemoteCluster-Token', peerToken)
      .send({ remote_id: remoteId, msg: { id: newId(), topic: 'ping', create_at: Date.now(), payload: { sent_at: 5 } } })
      .expect(200);
    expect(ping.body.sent_at).toBe(5);
  });
});
