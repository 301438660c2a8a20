import { configOrExit, exitOnStartupFailure, runApp } from '@fedchat/common';
import { SharedChannelSyncModule } from './shared-channel-sync.module';

runApp(configOrExit('shared-channel-sync'), { modules: [SharedChannelSyncModule] }).catch(exitOnStartupFailure);
