import { decidedPostContent, markdownText, outcomeText, ReviewedInvitation, reviewPostContent } from './invitation-review-post';

const inv: ReviewedInvitation = {
  invitation_id: 'i'.repeat(26),
  display_name: 'Sales [click](http://evil) @all',
  name: 'sales',
  type: 'O',
  read_only: true,
  connection: 'Acme *Corp*',
};

type Action = {
  id: string;
  type: string;
  name: string;
  style?: string;
  options?: unknown[];
  integration: { url: string; context: object };
};

function actionsOf(props: Record<string, unknown>): Action[] {
  return (props.attachments as { actions?: Action[] }[])[0].actions ?? [];
}

describe('the review post', () => {
  it('offers a static team menu and the two buttons, each with the suite integration and its context', () => {
    const { props } = reviewPostContent(inv, [
      { id: 't'.repeat(26), display_name: 'Team T' },
      { id: 'u'.repeat(26), display_name: 'Team U' },
    ]);
    const actions = actionsOf(props);
    expect(actions.map((a) => [a.id, a.type, a.name, a.style])).toEqual([
      ['destinationteam', 'select', 'Destination team', undefined],
      ['accept', 'button', 'Accept', 'primary'],
      ['decline', 'button', 'Decline', 'danger'],
    ]);
    expect(actions[0].options).toEqual([
      { text: 'Team T', value: 't'.repeat(26) },
      { text: 'Team U', value: 'u'.repeat(26) },
    ]);
    expect(actions[0]).not.toHaveProperty('data_source');
    for (const a of actions) expect(a.integration.url).toBe('fedchat:shared-channel-invitation-review');
    expect(actions[2].integration.context).toEqual({ invitation_id: inv.invitation_id, action: 'decline' });
  });

  it('without a team to offer, keeps only Decline and says why', () => {
    const { message, props } = reviewPostContent(inv, []);
    expect(actionsOf(props).map((a) => a.id)).toEqual(['decline']);
    expect(message).toContain('You are in no team');
  });

  it('escapes the remote-controlled names in markdown', () => {
    const { message, props } = reviewPostContent(inv, []);
    expect(message).toContain('Sales \\[click\\]\\(http://evil\\) \\@all');
    expect(message).toContain('**Acme \\*Corp\\***');
    expect((props.attachments as { title: string }[])[0].title).toBe(markdownText(inv.display_name));
    expect(markdownText('a\nb|c`d')).toBe('a b\\|c\\`d');
  });

  it('once decided, shows the outcome in place of the actions', () => {
    const { message, props } = decidedPostContent(inv, 'Declined by @admin.', false);
    expect(message).toContain('**Declined by @admin.**');
    const [attachment] = props.attachments as Record<string, unknown>[];
    expect(attachment.text).toBe('Declined by @admin.');
    expect(attachment).not.toHaveProperty('actions');
  });

  it('words the outcome', () => {
    expect(outcomeText('accepted', 'Team *T*', 'ann')).toBe('Accepted into team Team \\*T\\* by @ann.');
    expect(outcomeText('accepted', 'Team T', undefined)).toBe('Accepted into team Team T automatically.');
    expect(outcomeText('rejected', undefined, 'bob')).toBe('Declined by @bob.');
    expect(outcomeText('failed', undefined, undefined)).toBe('No longer pending (failed).');
  });
});
