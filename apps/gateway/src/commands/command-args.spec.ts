import { parseCommand, splitWords } from './command-args';

describe('slash command parsing', () => {
  it('keeps quoted strings together and unescapes them', () => {
    expect(splitWords('a "b c" \'d e\' "f \\" g"')).toEqual(['a', 'b c', 'd e', 'f " g']);
  });

  it('takes typographic quotes as quotes, and leaves apostrophes inside words alone', () => {
    expect(splitWords('--displayname “AcmeUSA” --d “Acme USA” „Acme DE“ ”Acme iOS” ‘Acme UK’ don’t')).toEqual([
      '--displayname',
      'AcmeUSA',
      '--d',
      'Acme USA',
      'Acme DE',
      'Acme iOS',
      'Acme UK',
      'don’t',
    ]);
    expect(parseCommand('/secure-connection create --name acme --displayname “Acme USA”')?.flags.displayname).toBe('Acme USA');
  });

  it('reads the trigger, the action and the flags', () => {
    expect(parseCommand('/secure-connection create --name acme.corp_1 --displayname "Acme Corp" --password s3cret')).toEqual({
      trigger: 'secure-connection',
      action: 'create',
      flags: { name: 'acme.corp_1', displayname: 'Acme Corp', password: 's3cret' },
      rest: 'create --name acme.corp_1 --displayname "Acme Corp" --password s3cret',
    });
  });

  it('treats a flag without a value as true and lower-cases trigger and flag names', () => {
    expect(parseCommand('/Share-Channel invite --connectionID abc --readonly')).toMatchObject({
      trigger: 'share-channel',
      action: 'invite',
      flags: { connectionid: 'abc', readonly: 'true' },
    });
  });

  it('refuses text that is not a command', () => {
    expect(parseCommand('hello')).toBeUndefined();
    expect(parseCommand('/')).toBeUndefined();
    expect(parseCommand('/echo')).toMatchObject({ trigger: 'echo', action: '', flags: {} });
  });
});
