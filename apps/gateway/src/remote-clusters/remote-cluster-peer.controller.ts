import { Body, Controller, HttpCode, Logger, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotImplementedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AppError, Bus, BusError, counter } from '@fedchat/common';
import { ConfirmInvite, isPeerTopic, PeerResponse, peerTopicContract, RemoteClusterMsg, toInstance } from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import { validate } from 'class-validator';
import type { Response } from 'express';
import { Public } from '../auth/auth.guard';
import { FileInfoJson, StatusOkJson, toFileInfoJson } from '../files/files.dto';
import { ProfileImageService } from '../files/profile-image.service';
import { RemoteUploadsService } from '../files/remote-uploads.service';
import { RateLimitClass } from '../http/rate-limit.guard';
import { PeerAuthGuard, PeerRequest } from './peer-auth.guard';

/** Mattermost's RemoteClusterFrame, for the OpenAPI document. */
const FRAME_BODY = {
  schema: {
    type: 'object' as const,
    properties: {
      remote_id: { type: 'string' as const },
      msg: {
        type: 'object' as const,
        properties: {
          id: { type: 'string' as const },
          topic: { type: 'string' as const },
          create_at: { type: 'integer' as const },
          payload: { type: 'object' as const },
        },
      },
    },
  },
};

const received = counter({
  name: 'mattermost_remote_cluster_msg_received_total',
  help: 'Messages received from remote clusters',
  labelNames: ['remote_id'] as const,
});

/**
 * The endpoints peer clusters call (protocol §3.2). Frames are checked here (shape, and that the frame's remote_id
 * is the authenticated one); `/msg` topics go over the bus to the app that owns them.
 */
@ApiTags('remote cluster peers')
@ApiHeader({ name: 'X-RemoteCluster-Id', required: true, description: 'the connection id' })
@ApiHeader({ name: 'X-RemoteCluster-Token', required: true, description: 'the token this cluster gave the peer' })
@Public()
@RateLimitClass('peer')
@UseGuards(PeerAuthGuard)
@Controller('api/v4/remotecluster')
export class RemoteClusterPeerController {
  private readonly logger = new Logger('PeerEndpoints');

  constructor(
    private readonly bus: Bus,
    private readonly uploads: RemoteUploadsService,
    private readonly profileImages: ProfileImageService,
  ) {}

  /** Bare `{sent_at, recv_at}`, not a Response. */
  @Post('ping')
  @ApiOperation({ summary: 'Heartbeat from a peer; answers {sent_at, recv_at}' })
  @ApiBody(FRAME_BODY)
  @HttpCode(200)
  async ping(@Req() req: PeerRequest, @Body() body: unknown): Promise<{ sent_at: number; recv_at: number }> {
    const msg = await this.frameOf(req, body);
    const sentAt = (msg.payload as { sent_at?: unknown }).sent_at;
    return { sent_at: typeof sentAt === 'number' ? sentAt : 0, recv_at: Date.now() };
  }

  @Post('confirm_invite')
  @ApiOperation({ summary: 'The accepting peer confirms our invitation (authenticated with the invite token)' })
  @ApiBody(FRAME_BODY)
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string' } } } })
  @HttpCode(200)
  async confirmInvite(@Req() req: PeerRequest, @Body() body: unknown): Promise<PeerResponse> {
    const msg = await this.frameOf(req, body);
    return this.bus.request(ConfirmInvite, { remote_id: req.remote!.remote_id, msg });
  }

  /** Always 200 with a Response: failures are `status: FAIL`. */
  @Post('msg')
  @ApiOperation({ summary: 'A topic message from a peer; always 200 with {status, err, payload}' })
  @ApiBody(FRAME_BODY)
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['OK', 'FAIL'] }, err: { type: 'string' }, payload: { type: 'object' } },
    },
  })
  @HttpCode(200)
  async msg(@Req() req: PeerRequest, @Body() body: unknown): Promise<PeerResponse> {
    const msg = await this.frameOf(req, body);
    const remoteId = req.remote!.remote_id;
    received.inc({ remote_id: remoteId });
    if (!isPeerTopic(msg.topic)) return { status: 'OK' };
    try {
      return await this.bus.request(peerTopicContract(msg.topic), { remote_id: remoteId, msg });
    } catch (err) {
      const reason = err instanceof AppError || err instanceof BusError ? err.message : String(err);
      this.logger.warn({ remote_id: remoteId, topic: msg.topic, err: reason }, 'peer message not handled');
      return { status: 'FAIL', err: reason };
    }
  }

  /** Raw bytes, streamed (never through a body parser); 204 while incomplete, 200 with the FileInfo once complete. */
  @Post('upload/:upload_id')
  @ApiOperation({
    summary: 'Bytes of an attachment announced with sharedchannel_upload',
    description:
      'Body: the raw bytes (application/octet-stream) from the session offset, optionally with ' +
      '`Content-Range: bytes <start>-<end>/<total>` (start must be the session offset, total its size); or a multipart ' +
      'form with the bytes in file field `data`. An interrupted request keeps the segments stored before it: ask for ' +
      'the session again (sharedchannel_upload) and continue from its `file_offset`.',
  })
  @ApiParam({ name: 'upload_id' })
  @ApiConsumes('application/octet-stream', 'multipart/form-data')
  @ApiOkResponse({ type: FileInfoJson, description: 'The upload is complete' })
  @ApiNoContentResponse({ description: 'Stored; the upload is not complete yet' })
  @ApiBadRequestResponse({ description: 'Offset or range mismatch, too many bytes, a truncated body, a digest mismatch' })
  @ApiUnauthorizedResponse({ description: 'The session belongs to another remote' })
  @ApiPayloadTooLargeResponse({ description: 'Content-Length larger than what remains of the file' })
  @ApiNotImplementedResponse({ description: 'File attachments are disabled' })
  async upload(@Req() req: PeerRequest, @Param('upload_id') uploadId: string, @Res() res: Response): Promise<void> {
    const result = await this.uploads.receive(req.remote!.remote_id, uploadId, req);
    if (result.complete) res.status(200).json(toFileInfoJson(result.info));
    else res.status(204).end();
  }

  @Post(':user_id/image')
  @HttpCode(200)
  @ApiOperation({ summary: "A peer sets the profile picture of one of its own users (multipart, file field 'image')" })
  @ApiParam({ name: 'user_id' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { image: { type: 'string', format: 'binary' } }, required: ['image'] } })
  @ApiOkResponse({ type: StatusOkJson })
  @ApiBadRequestResponse({ description: 'No image, not a decodable image, or not a user of a remote' })
  @ApiUnauthorizedResponse({ description: 'The user belongs to another remote' })
  @ApiPayloadTooLargeResponse({ description: 'Content-Length larger than MaxFileSize' })
  async profileImage(@Req() req: PeerRequest, @Param('user_id') userId: string): Promise<{ status: string }> {
    await this.profileImages.uploadFromRemote(req.remote!.remote_id, userId, req);
    return { status: 'OK' };
  }

  /** A RemoteClusterFrame `{remote_id, msg}` whose remote_id is the caller's. */
  private async frameOf(req: PeerRequest, body: unknown): Promise<RemoteClusterMsg> {
    const frame = body as { remote_id?: unknown; msg?: unknown } | undefined;
    if (!frame || typeof frame !== 'object' || !isValidId(frame.remote_id) || !frame.msg || typeof frame.msg !== 'object') {
      throw AppError.badRequest('api.remote_cluster.invalid_frame.app_error', 'Invalid remote cluster frame.');
    }
    if (frame.remote_id !== req.remote!.remote_id) {
      this.logger.warn(
        { remote_id: req.remote!.remote_id, frame_remote_id: frame.remote_id },
        'frame remote_id differs from the authenticated one',
      );
      throw AppError.unauthorized(
        'api.context.remote_id_mismatch.app_error',
        'The frame remote_id does not match the authenticated remote.',
      );
    }
    const msg = toInstance(RemoteClusterMsg, frame.msg);
    const errors = await validate(msg);
    if (errors.length > 0 || !isValidId(msg.id) || msg.topic === '') {
      throw AppError.badRequest('api.remote_cluster.invalid_frame.app_error', 'Invalid remote cluster message.');
    }
    return msg;
  }
}
