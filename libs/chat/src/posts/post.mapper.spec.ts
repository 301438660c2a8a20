import { withoutActionIntegrations } from './post.mapper';

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
