import { Module } from '@nestjs/common';
import { FileStoreModule } from '@fedchat/common';
import { FilesController, PostFilesController } from './files.controller';
import { FilesService } from './files.service';
import { ProfileImageController } from './profile-image.controller';
import { ProfileImageService } from './profile-image.service';
import { RemoteUploadsService } from './remote-uploads.service';

/** File uploads and downloads, file infos, profile pictures; files and pictures received from remotes. */
@Module({
  imports: [FileStoreModule],
  controllers: [FilesController, PostFilesController, ProfileImageController],
  providers: [FilesService, ProfileImageService, RemoteUploadsService],
  exports: [FilesService, ProfileImageService, RemoteUploadsService],
})
export class FilesModule {}
