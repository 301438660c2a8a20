import { configOrExit, exitOnStartupFailure, runApp } from '@fedchat/common';
import { RemoteClusterModule } from './remote-cluster.module';

runApp(configOrExit('remote-cluster'), { modules: [RemoteClusterModule] }).catch(exitOnStartupFailure);
