import type { Post } from '@fedchat/models';
import { toPostJson, withoutActionIntegrations } from './post.mapper';

describe('withoutActionIntegrations', () => {
  it("strips every action's integration, as Mattermost does for posts sent to clients, and leaves the input alone", () => {
    const props = {
      from_bot: 'true',
      attachments: [
        { text: 'no actions' },
        {
          actions: [
            { id: 'a', name: 'A', type: 'button', integration: { url: 'http://x', context: { secret: 1 } } },
            { id: 'b', name: 'B', type: 'select', options: [{ text: 'T', value: 'v' }] },
            null,
          ],
        },
      ],
    };
    const copy = JSON.parse(JSON.stringify(props));
    expect(withoutActionIntegrations(props)).toEqual({
      from_bot: 'true',
      attachments: [
        { text: 'no actions' },
        {
          actions: [
            { id: 'a', name: 'A', type: 'button' },
            { id: 'b', name: 'B', type: 'select', options: [{ text: 'T', value: 'v' }] },
            null,
          ],
        },
      ],
    });
    expect(props).toEqual(copy);
  });

  it('returns props without integrations as they are', () => {
    const props = { attachments: [{ actions: [{ id: 'a' }] }] };
    expect(withoutActionIntegrations(props)).toBe(props);
    expect(withoutActionIntegrations({ attachments: 'not a list' })).toEqual({ attachments: 'not a list' });
    expect(withoutActionIntegrations({})).toEqual({});
  });
});

describe('toPostJson', () => {
  const post = {
    id: 'p'.repeat(26),
    create_at: 1,
    update_at: 1,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    user_id: 'u'.repeat(26),
    channel_id: 'c'.repeat(26),
    root_id: '',
    original_id: '',
    message: 'm',
    type: '',
    props: { attachments: [{ actions: [{ id: 'a', integration: { url: 'http://x' } }] }] },
    hashtags: '',
    file_ids: [],
    remote_id: '',
    has_reactions: false,
  } as unknown as Post;

  it('gives clients the actions without their integration, and peers the whole post (as Mattermost syncs it)', () => {
    expect(toPostJson(post).props).toEqual({ attachments: [{ actions: [{ id: 'a' }] }] });
    expect(toPostJson(post, {}, { forPeers: true }).props).toEqual(post.props);
  });
});
