import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import { cookieValue, locateToken, websocketToken } from './token';

const TOKEN = 'a'.repeat(26);

function req(headers: Record<string, string>, query: Record<string, string> = {}, url = '/api/v4/websocket'): Request & IncomingMessage {
  return { headers, query, url } as unknown as Request & IncomingMessage;
}

describe('session tokens', () => {
  it('reads one cookie from the Cookie header, decoded, and nothing from a bad or empty one', () => {
    const headers = { cookie: `other=1; MMAUTHTOKEN=${TOKEN}; MMCSRF=x%20y` };
    expect(cookieValue(headers, 'MMAUTHTOKEN')).toBe(TOKEN);
    expect(cookieValue(headers, 'MMCSRF')).toBe('x y');
    expect(cookieValue(headers, 'MMUSERID')).toBeUndefined();
    expect(cookieValue({ cookie: 'MMAUTHTOKEN=%E0%A4%A' }, 'MMAUTHTOKEN')).toBeUndefined();
    expect(cookieValue({ cookie: 'MMAUTHTOKEN=' }, 'MMAUTHTOKEN')).toBeUndefined();
    expect(cookieValue({ cookie: 'XMMAUTHTOKEN=1' }, 'MMAUTHTOKEN')).toBeUndefined();
  });

  it('takes the header first, then the cookie, then access_token, as Mattermost, and says where it came from', () => {
    const cookie = `MMAUTHTOKEN=${'c'.repeat(26)}`;
    expect(locateToken(req({ authorization: `Bearer ${TOKEN}`, cookie }))).toEqual({ token: TOKEN, location: 'header' });
    expect(locateToken(req({ cookie }, { access_token: TOKEN }))).toEqual({ token: 'c'.repeat(26), location: 'cookie' });
    expect(locateToken(req({}, { access_token: TOKEN }))).toEqual({ token: TOKEN, location: 'query' });
    // A malformed Authorization header is not rescued by the cookie.
    expect(locateToken(req({ authorization: 'Basic xyz', cookie }))).toBeUndefined();
  });

  it('takes the websocket cookie only from this site', () => {
    const cookie = `MMAUTHTOKEN=${TOKEN}`;
    const site = 'https://chat.example.com';
    expect(websocketToken(req({ cookie }), site)).toBe(TOKEN);
    expect(websocketToken(req({ cookie, origin: site }), site)).toBe(TOKEN);
    expect(websocketToken(req({ cookie, origin: 'http://127.0.0.1:8065', host: '127.0.0.1:8065' }), site)).toBe(TOKEN);
    expect(websocketToken(req({ cookie, origin: 'https://evil.example.net', host: 'chat.example.com' }), site)).toBeUndefined();
    expect(websocketToken(req({ cookie, origin: 'null', host: 'chat.example.com' }), site)).toBeUndefined();
    expect(websocketToken(req({ cookie, origin: 'https://evil.example.net' }, {}, `/api/v4/websocket?access_token=${TOKEN}`), site)).toBe(
      TOKEN,
    );
  });
});
