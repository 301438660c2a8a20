import { ChannelRings } from './channel-rings';

describe('ChannelRings', () => {
  it('tells whether a ring came after a mark', () => {
    const rings = new ChannelRings();
    rings.ring();
    const mark = rings.mark();
    expect(rings.since(mark)).toBe(false);
    rings.ring();
    expect(rings.since(mark)).toBe(true);
    expect(rings.since(rings.mark())).toBe(false);
  });

  it('calls a once-listener at the next ring only, after counting it, and not once cancelled', () => {
    const rings = new ChannelRings();
    const heard: number[] = [];
    rings.once(() => heard.push(rings.mark()));
    const cancel = rings.once(() => heard.push(-1));
    cancel();
    rings.ring();
    rings.ring();
    expect(heard).toEqual([1]);
  });
});
