import type { Request, Response } from 'express';
import { cleanApiPath } from './clean-path.middleware';

function cleaned(url: string): string {
  const req = { url } as Request;
  let called = false;
  cleanApiPath(req, {} as Response, () => (called = true));
  expect(called).toBe(true);
  return req.url;
}

describe('cleanApiPath', () => {
  it('reads repeated slashes in an API path as one and keeps the query as it is', () => {
    expect(cleaned('/api/v4/posts/abc//reactions')).toBe('/api/v4/posts/abc/reactions');
    expect(cleaned('/api/v4//channels///posts?since=1&x=a//b')).toBe('/api/v4/channels/posts?since=1&x=a//b');
    expect(cleaned('//api/v4/users/me')).toBe('/api/v4/users/me');
  });

  it('leaves clean paths and paths outside the API alone', () => {
    expect(cleaned('/api/v4/users/me?x=//')).toBe('/api/v4/users/me?x=//');
    expect(cleaned('/health//live')).toBe('/health//live');
  });
});
