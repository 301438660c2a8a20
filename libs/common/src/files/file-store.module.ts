import { Module } from '@nestjs/common';
import * as path from 'node:path';
import type { AppConfig } from '../config/config.schema';
import { APP_CONFIG } from '../config/config.tokens';
import { FILE_STORE, FileStore } from './file-store';
import { LocalFileStore } from './local-file-store';
import { S3FileStore } from './s3-file-store';

/** The file store named by `MM_FILESETTINGS_DRIVERNAME`. */
export function createFileStore(config: AppConfig): FileStore {
  switch (config.files.driverName) {
    case 'local':
      return new LocalFileStore(path.join(config.dataDir, 'files'));
    case 'amazons3':
      if (!config.files.amazonS3) throw new Error('MM_FILESETTINGS_DRIVERNAME=amazons3 without the Amazon S3 settings.');
      return new S3FileStore(config.files.amazonS3);
    default:
      throw new Error(`MM_FILESETTINGS_DRIVERNAME=${String(config.files.driverName)}: unknown file store driver.`);
  }
}

/** Provides {@link FILE_STORE}; import it in every app module that reads or writes files. */
@Module({
  providers: [{ provide: FILE_STORE, inject: [APP_CONFIG], useFactory: createFileStore }],
  exports: [FILE_STORE],
})
export class FileStoreModule {}
