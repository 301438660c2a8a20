import { GENERATED_INVITE_PASSWORD_LENGTH, generateInvitePassword, isStrongInvitePassword } from './invite-password';

describe('invitation passwords', () => {
  it.each(['short-A1!', 'alllowercase-12!', 'ALLUPPERCASE-12!', 'NoDigitsHere-!!', 'NoSymbols12345', '', '            '])(
    'refuses the weak %p',
    (password) => expect(isStrongInvitePassword(password)).toBe(false),
  );

  it.each(['Secret-Passw0rd!', 'Zz9#Zz9#Zz9#', 'ümlaut-Ünd-3 ok'])('accepts the strong %p', (password) =>
    expect(isStrongInvitePassword(password)).toBe(true),
  );

  it('generates strong, distinct passwords that are safe inside markdown', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const password = generateInvitePassword();
      expect(password).toHaveLength(GENERATED_INVITE_PASSWORD_LENGTH);
      expect(isStrongInvitePassword(password)).toBe(true);
      expect(password).not.toMatch(/[`|"'\s]/);
      seen.add(password);
    }
    expect(seen.size).toBe(200);
  });
});
