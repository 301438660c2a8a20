import { Injectable } from '@nestjs/common';
import { counter, gauge, histogram, perRemoteCounter } from '@fedchat/common';

/** What the send side of file transfer reports, per remote (attachments and profile pictures alike). */
@Injectable()
export class TransferMetrics {
  readonly sentBytes = counter({
    name: 'fedchat_file_transfer_sent_bytes_total',
    help: 'File bytes sent to remotes (a resumed transfer counts only what it sent again)',
    labelNames: ['remote_id'] as const,
  });
  readonly sentFiles = counter({
    name: 'fedchat_file_transfer_sent_files_total',
    help: 'Files a remote confirmed complete (attachments and profile pictures)',
    labelNames: ['remote_id'] as const,
  });
  readonly errors = perRemoteCounter({
    name: 'fedchat_file_transfer_send_errors_total',
    help: 'Failed transfer attempts: transient ones are retried, refused ones abandoned',
    labelNames: ['remote_id', 'reason'] as const,
  });
  readonly duration = histogram({
    name: 'fedchat_file_transfer_send_duration_seconds',
    help: 'From claiming a transfer to the remote confirming the whole file',
    labelNames: ['remote_id'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
  });
  readonly pending = gauge({
    name: 'fedchat_file_transfer_pending',
    help: 'Attachment transfers waiting to be sent or retried',
  });
}
