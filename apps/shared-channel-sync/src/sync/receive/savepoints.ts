import { Logger } from '@nestjs/common';
import { RefusedItem } from '@fedchat/chat';
import { isTransientDbError } from '@fedchat/models';
import { EntityManager } from 'typeorm';

const log = new Logger('SyncReceiver');

/**
 * Applies one item of a message in a savepoint: a refusal or a database error undoes that item only, and its id goes
 * to `errors` (the SyncResponse list the sender reads, and moves past). A transient database error (a deadlock, a
 * lost connection) is no verdict on the item: it fails the whole message, so that the sender keeps its cursor and
 * sends it again (applying is idempotent); a user listed as an error would otherwise never arrive, nor would a
 * membership change that needs them.
 */
export async function applyItem(tx: EntityManager, errors: string[], id: string, apply: () => Promise<void>): Promise<void> {
  await tx.query('SAVEPOINT sync_item');
  try {
    await apply();
    await tx.query('RELEASE SAVEPOINT sync_item');
  } catch (err) {
    if (isTransientDbError(err)) {
      log.warn({ id, err: String(err) }, 'sync item failed for now; the message fails so that the remote sends it again');
      throw err;
    }
    await tx.query('ROLLBACK TO SAVEPOINT sync_item');
    if (!(err instanceof RefusedItem)) log.error({ err, id }, 'sync item failed');
    else log.warn({ id, reason: err.message }, 'sync item refused');
    errors.push(id);
  }
}
