import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Bus, BusContext, BusModule, InProcessLink, MessageHandlers, MessageLink, NatsLink, startMessageHandlers } from '@fedchat/common';
import { PeerResponse, SendToPeer, SendToPeerRequest, WebSocketEventMessage, WebSocketEventPublished } from '@fedchat/contracts';
import { startNats } from '@fedchat/testing';
import { quantile, recordFigures } from './report';

/**
 * `npm run bench` (bus): the cost of one hop between two apps, without the apps. A request (SendToPeer with a sync
 * batch of posts as its payload) answered by a handler, back to back, timed round trip; then websocket events (one
 * per post in the suite) published in bursts and timed until the handler has seen them all. Both go through the
 * whole path: ClientProxy, the link, the validation pipe, the interceptor, the filter, and the reply validated by the
 * requester. The link is in-process unless BENCH_BUS_LINK=nats (a nats-server on loopback).
 */
const REQUESTS = Number(process.env.BENCH_BUS_REQUESTS ?? 5_000);
const EVENTS = Number(process.env.BENCH_BUS_EVENTS ?? 20_000);
const POSTS_PER_REQUEST = Number(process.env.BENCH_BUS_POSTS ?? 10);
const LINK = process.env.BENCH_BUS_LINK ?? 'in-process';

const out = (line = '') => process.stdout.write(`${line}\n`);

let eventsSeen = 0;
let onEvent: () => void = () => undefined;

@MessageHandlers()
class EchoHandlers {
  @MessagePattern(SendToPeer.subject)
  send(@Payload() req: SendToPeerRequest): PeerResponse {
    return { status: 'OK', payload: { posts: (req.payload.posts as unknown[]).length } };
  }

  @EventPattern(WebSocketEventPublished.subject)
  event(@Payload() _event: WebSocketEventMessage, @Ctx() _ctx: BusContext): void {
    eventsSeen++;
    onEvent();
  }
}

function post(i: number): Record<string, unknown> {
  return {
    id: `post${String(i).padStart(22, '0')}`,
    create_at: 1_760_000_000_000 + i,
    update_at: 1_760_000_000_000 + i,
    edit_at: 0,
    delete_at: 0,
    user_id: 'user0000000000000000000000',
    channel_id: 'chan0000000000000000000000',
    root_id: '',
    message: `message number ${i} with some ordinary text in it, as people write`,
    type: '',
    props: {},
    hashtags: '',
    remote_id: 'remo0000000000000000000000',
  };
}

function summary(us: number[]): string {
  const s = [...us].sort((x, y) => x - y);
  const p = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(0);
  return `p50 ${p(0.5)} µs, p99 ${p(0.99)} µs`;
}

async function main(): Promise<void> {
  let link: MessageLink;
  let stopNats: () => Promise<void> = async () => undefined;
  if (LINK === 'nats') {
    const nats = await startNats();
    stopNats = () => nats.stop();
    link = await NatsLink.connect(nats.url, 'bus-bench', { timeoutMs: 5_000 });
  } else {
    link = new InProcessLink(1 << 20);
  }

  @Module({ imports: [BusModule.forRoot(link, { requestTimeoutMs: 10_000 })], controllers: [EchoHandlers] })
  class BenchModule {}

  const app = await NestFactory.create(BenchModule, { logger: ['error'] });
  await startMessageHandlers(app);
  const bus = app.get(Bus);

  out(`bus benchmark (${LINK} link, Node ${process.version})`);
  const payload = { posts: Array.from({ length: POSTS_PER_REQUEST }, (_, i) => post(i)) };
  const request = { remote_id: 'remo0000000000000000000000', topic: 'sharedchannel_sync', payload };
  for (let i = 0; i < 500; i++) await bus.request(SendToPeer, request); // warm-up

  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const rtt: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const start = process.hrtime.bigint();
    await bus.request(SendToPeer, request);
    rtt.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  const reqSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const reqCpu = process.cpuUsage(cpu0);
  out(`1. request/reply, ${POSTS_PER_REQUEST} posts a request, one at a time: ${REQUESTS} in ${reqSeconds.toFixed(2)} s`);
  out(`   round trip ${summary(rtt)}; CPU ${((reqCpu.user + reqCpu.system) / REQUESTS).toFixed(0)} µs a request`);

  const event = { event: 'posted', data: { post: JSON.stringify(post(1)) }, broadcast: { channel_id: 'chan0000000000000000000000' } };
  const cpu1 = process.cpuUsage();
  const t1 = process.hrtime.bigint();
  const all = new Promise<void>((resolve) => (onEvent = () => eventsSeen >= EVENTS && resolve()));
  for (let i = 0; i < EVENTS; i++) {
    bus.emit(WebSocketEventPublished, event);
    if (i % 100 === 99) await new Promise((r) => setImmediate(r)); // bursts of 100, as a busy server would
  }
  await all;
  const evSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  const evCpu = process.cpuUsage(cpu1);
  out(
    `2. events, published in bursts of 100: ${EVENTS} handled in ${evSeconds.toFixed(2)} s = ${(EVENTS / evSeconds).toFixed(0)} events/s`,
  );
  out(`   CPU ${((evCpu.user + evCpu.system) / EVENTS).toFixed(0)} µs an event`);
  recordFigures('bus', {
    'bus request/reply p50': { value: quantile(rtt, 0.5) / 1000, note: `${LINK} link` },
    'bus events': { value: EVENTS / evSeconds, note: `${LINK} link` },
  });

  await app.close();
  await stopNats();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
