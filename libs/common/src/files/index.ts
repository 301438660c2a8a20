export * from './file-store';
export * from './local-file-store';
export * from './s3-file-store';
export * from './file-store.module';
export * from './file-metadata';
export * from './profile-images';
export * from './attachment-queue';
