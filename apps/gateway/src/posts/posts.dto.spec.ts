import { AppError } from '@fedchat/common';
import { apiValidationPipe } from '../http/validation';
import { CreatePostBody } from './posts.dto';

/** The same DTO without its quick parse: what the pipe built for every body before it. */
class FullPipeCreatePostBody extends CreatePostBody {
  static override quickParse(): undefined {
    return undefined;
  }
}

async function viaPipe(metatype: typeof CreatePostBody, body: unknown): Promise<unknown> {
  try {
    return await apiValidationPipe.transform(body, { type: 'body', metatype });
  } catch (err) {
    return err instanceof AppError ? { error: err.errorId, message: err.message, status: err.getStatus() } : err;
  }
}

const json = (text: string): unknown => JSON.parse(text);

describe('CreatePostBody.quickParse', () => {
  it.each([
    ['channel only', { channel_id: 'c1' }],
    ['the bench body', { channel_id: 'c1', message: 'throughput post 1 about federation' }],
    [
      'every simple field',
      { channel_id: 'c1', message: 'hi', root_id: 'r1', type: 'custom_x', pending_post_id: 'p'.repeat(128), props: { a: 1 } },
    ],
    ['undeclared keys', { channel_id: 'c1', message: 'hi', user_id: 'someone-else', create_at: 5, id: 'x' }],
    ['prototype-named keys', json('{"channel_id":"c1","__proto__":{"x":1},"constructor":"y","toString":1}')],
    ['props with prototype-named keys', json('{"channel_id":"c1","props":{"__proto__":{"a":1},"constructor":2,"b":[1,{"c":null}]}}')],
    ['empty strings', { channel_id: '', message: '', root_id: '', type: '' }],
  ])('takes %s exactly as the full pipe does', async (_name, body) => {
    const quick = CreatePostBody.quickParse(body);
    expect(quick).toBeInstanceOf(CreatePostBody);
    const full = await viaPipe(FullPipeCreatePostBody, body);
    expect(full).toBeInstanceOf(FullPipeCreatePostBody);
    expect(Object.keys(quick!)).toEqual(Object.keys(full as object));
    expect({ ...quick }).toEqual({ ...(full as object) });
    // Props stay as received, prototype-named keys included.
    if ((body as { props?: unknown }).props !== undefined) expect(quick!.props).toBe((body as { props?: unknown }).props);
    // And the pipe itself takes the quick path for it.
    expect(await apiValidationPipe.transform(body, { type: 'body', metatype: CreatePostBody })).toEqual(quick);
  });

  it.each([
    ['no channel', { message: 'hi' }],
    ['a number for a string', { channel_id: 1 }],
    ['a null channel', { channel_id: null, message: 'hi' }],
    ['a null message', { channel_id: 'c1', message: null }],
    ['props as an array', { channel_id: 'c1', props: [1] }],
    ['props as a string', { channel_id: 'c1', props: 'x' }],
    ['a pending id too long', { channel_id: 'c1', pending_post_id: 'p'.repeat(129) }],
    ['a pending id of surrogate pairs', { channel_id: 'c1', pending_post_id: '😀'.repeat(100) }],
    ['file ids', { channel_id: 'c1', file_ids: ['f1'] }],
    ['bad file ids', { channel_id: 'c1', file_ids: 'f1' }],
    ['metadata', { channel_id: 'c1', metadata: { priority: { priority: 'urgent' } } }],
    ['bad metadata', { channel_id: 'c1', metadata: { priority: { priority: 'whenever' } } }],
    ['an array', [{ channel_id: 'c1' }]],
    ['a string', 'channel_id'],
    ['null', null],
  ])('leaves %s to the full pipe, with its answer unchanged', async (_name, body) => {
    expect(CreatePostBody.quickParse(body)).toBeUndefined();
    const full = await viaPipe(FullPipeCreatePostBody, body);
    const answer = await viaPipe(CreatePostBody, body);
    if (full instanceof FullPipeCreatePostBody) {
      expect(answer).toBeInstanceOf(CreatePostBody);
      expect({ ...(answer as object) }).toEqual({ ...full });
    } else {
      expect(answer).toEqual(full);
    }
  });

  it('refuses what it refused before, with the same error', async () => {
    expect(await viaPipe(CreatePostBody, { channel_id: 7, message: 'hi' })).toEqual({
      error: 'api.context.invalid_body_param.app_error',
      message: expect.stringContaining('channel_id'),
      status: 400,
    });
  });
});
