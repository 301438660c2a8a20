import { configOrExit, exitOnStartupFailure, runApp } from '@fedchat/common';
import { FileTransferModule } from './file-transfer.module';

runApp(configOrExit('file-transfer'), { modules: [FileTransferModule] }).catch(exitOnStartupFailure);
