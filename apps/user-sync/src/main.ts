import { configOrExit, exitOnStartupFailure, runApp } from '@fedchat/common';
import { UserSyncModule } from './user-sync.module';

runApp(configOrExit('user-sync'), { modules: [UserSyncModule] }).catch(exitOnStartupFailure);
