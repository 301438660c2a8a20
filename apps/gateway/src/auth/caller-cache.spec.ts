import { User } from '@fedchat/models';
import type { AuthContext } from './auth.service';
import { CallerCache } from './caller-cache';

function caller(userId: string, sessionId = `s-${userId}`): AuthContext {
  return { user: Object.assign(new User(), { id: userId }), sessionId };
}

describe('CallerCache', () => {
  it('answers a stored caller until the user changes', () => {
    const cache = new CallerCache();
    cache.put('h1', caller('u1'), 0, cache.begin(), 1000);
    cache.put('h2', caller('u1', 's2'), 0, cache.begin(), 1000);
    cache.put('h3', caller('u2'), 0, cache.begin(), 1000);
    expect(cache.get('h1', 1001)?.sessionId).toBe('s-u1');
    cache.forgetUser('u1');
    expect(cache.get('h1', 1001)).toBeUndefined();
    expect(cache.get('h2', 1001)).toBeUndefined();
    expect(cache.get('h3', 1001)?.sessionId).toBe('s-u2');
  });

  it('does not store what a lookup read before a change that happened while it ran', () => {
    const cache = new CallerCache();
    const begun = cache.begin();
    cache.forgetUser('u1'); // committed while the lookup was on its way
    cache.put('h1', caller('u1'), 0, begun, 1000);
    expect(cache.get('h1', 1001)).toBeUndefined();
    cache.put('h1', caller('u1'), 0, cache.begin(), 1000);
    expect(cache.get('h1', 1001)).toBeDefined();
  });

  it('drops an entry whose session expired, and any entry past its maximum age', () => {
    const cache = new CallerCache(5_000);
    cache.put('session', caller('u1'), 2_000, cache.begin(), 1000);
    cache.put('token', caller('u2'), 0, cache.begin(), 1000);
    expect(cache.get('session', 2_000)).toBeDefined();
    expect(cache.get('session', 2_001)).toBeUndefined();
    expect(cache.get('token', 5_999)).toBeDefined();
    expect(cache.get('token', 6_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most its maximum of entries, dropping the oldest', () => {
    const cache = new CallerCache(60_000, 2);
    cache.put('h1', caller('u1'), 0, cache.begin(), 1000);
    cache.put('h2', caller('u2'), 0, cache.begin(), 1000);
    cache.put('h3', caller('u3'), 0, cache.begin(), 1000);
    expect(cache.size).toBe(2);
    expect(cache.get('h1', 1001)).toBeUndefined();
    expect(cache.get('h3', 1001)).toBeDefined();
    // The dropped entry's user index is gone too: forgetting u1 now touches nothing else.
    cache.forgetUser('u1');
    expect(cache.get('h2', 1001)).toBeDefined();
  });
});
