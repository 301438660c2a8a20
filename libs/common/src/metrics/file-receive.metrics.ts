import { counter, histogram, perRemoteCounter } from './metrics';

/** Why a received file (or its upload session) was refused; the `reason` label of the receive error counter. */
export type FileReceiveErrorReason =
  | 'invalid'
  | 'disabled'
  | 'not_shared'
  | 'too_large'
  | 'wrong_type'
  | 'not_owner'
  | 'file_id_taken'
  | 'no_session'
  | 'offset_mismatch'
  | 'conflict'
  | 'truncated'
  | 'digest_mismatch'
  | 'bad_image'
  | 'store';

/**
 * The receive side of file transfer between clusters (attachments and profile images), labelled by the sending
 * remote. Sessions are made by the file-transfer app, bytes arrive at the gateway: both count here.
 */
export function fileReceiveMetrics() {
  return {
    bytes: counter({
      name: 'fedchat_file_transfer_received_bytes_total',
      help: 'Bytes of files received from remotes and stored',
      labelNames: ['remote_id'] as const,
    }),
    files: counter({
      name: 'fedchat_file_transfer_received_files_total',
      help: 'Files (attachments and profile images) received completely from remotes',
      labelNames: ['remote_id'] as const,
    }),
    errors: perRemoteCounter({
      name: 'fedchat_file_transfer_receive_errors_total',
      help: 'Upload sessions, uploads and profile images from remotes that were refused or failed',
      labelNames: ['remote_id', 'reason'] as const,
    }),
    duration: histogram({
      name: 'fedchat_file_transfer_receive_duration_seconds',
      help: 'From the upload session being made to the file being complete',
      labelNames: ['remote_id'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600],
    }),
  };
}

export type FileReceiveMetrics = ReturnType<typeof fileReceiveMetrics>;
