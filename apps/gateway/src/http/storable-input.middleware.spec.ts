import { findUnstorableInput, MAX_JSON_DEPTH, unstorableReason } from './storable-input.middleware';

describe('unstorableReason', () => {
  it('accepts ordinary text and well-formed surrogate pairs', () => {
    for (const text of ['', 'plain', 'caf\u00e9', '\ud83d\ude00 smile', '[[[{"', 'a\u0001b'])
      expect(unstorableReason(text)).toBeUndefined();
  });

  it('names a NUL and an unpaired surrogate, high or low, at either end', () => {
    expect(unstorableReason('a\u0000b')).toMatch(/NUL/);
    for (const text of ['\ud800', 'x\ud800', '\ud800x', '\udc00', 'x\udc00', '\udc00\ud800', '\ud83d\ude00\ude00']) {
      expect(unstorableReason(text)).toMatch(/surrogate/);
    }
  });
});

describe('findUnstorableInput', () => {
  it('finds a bad string value or key anywhere and names where', () => {
    expect(findUnstorableInput({ a: [1, { b: 'x\u0000' }] })).toEqual({ field: 'a.1.b', reason: 'contains a NUL character' });
    expect(findUnstorableInput({ props: { 'k\ud800': 1 } })).toEqual({
      field: 'props',
      reason: 'has a key that contains an unpaired UTF-16 surrogate',
    });
    expect(findUnstorableInput('\u0000')).toEqual({ field: '', reason: 'contains a NUL character' });
    expect(findUnstorableInput({ a: [1, 'b', null, true, { c: '\ud83d\ude00' }] })).toBeUndefined();
  });

  it('refuses nesting beyond the limit without overflowing the stack, and accepts it up to the limit', () => {
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000));
    expect(findUnstorableInput(deep)).toMatchObject({ tooDeep: true });
    const atLimit = JSON.parse('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH));
    expect(findUnstorableInput(atLimit)).toBeUndefined();
    const overLimit = JSON.parse('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1));
    expect(findUnstorableInput(overLimit)).toMatchObject({ tooDeep: true });
  });
});
