import { parseCommand, splitWords } from './command-args';

describe('slash command parsing', () => {
  it('keeps quoted strings together and unescapes them', () => {
    expect(splitWords('a "b c" \'d e\' "f \\" g"')).toEqual(['a', 'b c', 'd e', 'f " g']);
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
