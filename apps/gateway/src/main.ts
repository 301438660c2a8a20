import { configOrExit, exitOnStartupFailure, runApp } from '@fedchat/common';
import { configureGatewayHttp } from './gateway.http';
import { GatewayModule } from './gateway.module';

runApp(configOrExit('gateway'), { modules: [GatewayModule], configureHttp: configureGatewayHttp }).catch(exitOnStartupFailure);
