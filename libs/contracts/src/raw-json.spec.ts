import 'reflect-metadata';
import { validate } from 'class-validator';
import { PeerMessageReceived, RemoteClusterMsg } from './remote-cluster/peer.contract';
import { toInstance } from './raw-json';

const NAMES = ['constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

describe('toInstance', () => {
  it.each(NAMES)('keeps a raw JSON payload with a %s key exactly as received, at any depth', async (name) => {
    const text = `{"id":"i","topic":"t","create_at":1,"payload":{"${name}":{"x":1},"users":{"${name}":{"id":"u"}},"posts":[{"props":{"${name}":"p"}}]}}`;
    const plain = JSON.parse(text);
    const msg = toInstance(RemoteClusterMsg, plain);
    expect(msg).toBeInstanceOf(RemoteClusterMsg);
    expect(JSON.stringify(msg.payload)).toBe(JSON.stringify(plain.payload));
    expect(Object.getPrototypeOf(msg.payload)).toBe(Object.prototype);
    expect(await validate(msg)).toEqual([]);
  });

  it('restores raw JSON inside nested classes', () => {
    const plain = JSON.parse('{"remote_id":"r","msg":{"id":"i","topic":"t","create_at":1,"payload":{"constructor":1,"toString":2}}}');
    const received = toInstance(PeerMessageReceived, plain);
    expect(received.msg).toBeInstanceOf(RemoteClusterMsg);
    expect(received.msg.payload).toEqual(plain.msg.payload);
  });

  it('leaves prototype-named keys out of declared structure, so they cannot replace a prototype', async () => {
    const plain = JSON.parse('{"remote_id":"r","msg":{"__proto__":{"topic":7},"id":"i","create_at":1,"payload":{}}}');
    const received = toInstance(PeerMessageReceived, plain);
    expect(received.msg).toBeInstanceOf(RemoteClusterMsg);
    expect(received.msg.topic).toBeUndefined();
    expect((await validate(received)).length).toBeGreaterThan(0);
    // The input is not modified.
    expect(Object.keys(plain.msg)).toContain('__proto__');
  });
});
