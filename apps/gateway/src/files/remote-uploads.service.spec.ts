import { parseContentRange } from './remote-uploads.service';

describe('parseContentRange', () => {
  it('reads bytes <start>-<end>/<total>', () => {
    expect(parseContentRange('bytes 0-99/1000')).toEqual({ start: 0, end: 99, total: 1000 });
    expect(parseContentRange(' bytes 900-999/1000 ')).toEqual({ start: 900, end: 999, total: 1000 });
  });

  it('is undefined without the header', () => {
    expect(parseContentRange(undefined)).toBeUndefined();
  });

  it('refuses malformed and impossible ranges', () => {
    for (const bad of [
      'bytes=0-99',
      'bytes 0-99/*',
      'bytes */1000',
      'bytes 10-5/1000',
      'bytes 0-1000/1000',
      'bytes -1-5/10',
      'items 0-1/2',
    ]) {
      expect(parseContentRange(bad)).toBe('invalid');
    }
  });
});
