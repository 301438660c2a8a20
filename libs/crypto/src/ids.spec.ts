import { encodeBase32, isValidId, newId } from './ids';

describe('Mattermost ids', () => {
  it('encodes 16 bytes to 26 characters of the Mattermost alphabet', () => {
    // All-zero bytes map to the alphabet's first letter; all-ones to its last (128 bits = 25*5 + 3).
    expect(encodeBase32(new Uint8Array(16))).toBe('y'.repeat(26));
    expect(encodeBase32(new Uint8Array(16).fill(255))).toBe('9'.repeat(25) + 'h');
  });

  it('encodes bit patterns in order, most significant first', () => {
    // 0b00001_000 10... : first 5 bits = 1 -> 'b', next 5 bits of 0x08,0x80 = 00010 -> 'n'
    expect(encodeBase32(Uint8Array.from([0x08, 0x80]))).toBe('bnyy');
  });

  it('generates distinct valid ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isValidId(id)).toBe(true);
  });

  it('rejects malformed ids', () => {
    expect(isValidId('short')).toBe(false);
    expect(isValidId('A'.repeat(26))).toBe(false);
    expect(isValidId('a'.repeat(27))).toBe(false);
    expect(isValidId(42)).toBe(false);
  });
});
