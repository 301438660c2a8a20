import { loadConfig } from '../config/config.schema';
import { warnAboutDeprecatedSettings } from './run-app';

describe('deprecated setting names at start-up', () => {
  it('warns once per deprecated name that was read, naming its replacement', () => {
    const warn = jest.fn();
    warnAboutDeprecatedSettings(loadConfig('embedded', { MM_EXPERIMENTALSETTINGS_ENABLEREMOTECLUSTERSERVICE: 'false' }), { warn });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toEqual({
      setting: 'MM_EXPERIMENTALSETTINGS_ENABLEREMOTECLUSTERSERVICE',
      replacement: 'MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE',
    });
    expect(warn.mock.calls[0][1]).toMatch(/deprecated.*set MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE instead/);
  });

  it('says nothing when only current names are used', () => {
    const warn = jest.fn();
    warnAboutDeprecatedSettings(loadConfig('embedded', { MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE: 'false' }), { warn });
    expect(warn).not.toHaveBeenCalled();
  });
});
