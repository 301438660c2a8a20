import { directChannelName, groupChannelName, groupDisplayName } from './personal-channels';

describe('personal channel names', () => {
  const a = 'a'.repeat(26);
  const b = 'b'.repeat(26);
  const c = 'c'.repeat(26);

  it('names a direct channel by its two ids, smaller first', () => {
    expect(directChannelName(a, b)).toBe(`${a}__${b}`);
    expect(directChannelName(b, a)).toBe(`${a}__${b}`);
  });

  it('names a group channel by the SHA-1 of its sorted ids, whatever the order given', () => {
    expect(groupChannelName([c, a, b])).toBe(groupChannelName([a, b, c]));
    expect(groupChannelName([a, b, c])).toMatch(/^[0-9a-f]{40}$/);
    expect(groupChannelName([a, b, c])).not.toBe(groupChannelName([a, b, b]));
  });

  it('lists sorted usernames as the group display name, cut at 64 characters', () => {
    expect(groupDisplayName(['carol', 'alice:peer-a', 'bob'])).toBe('alice:peer-a, bob, carol');
    expect(groupDisplayName(['x'.repeat(40), 'y'.repeat(40)])).toHaveLength(64);
  });
});
