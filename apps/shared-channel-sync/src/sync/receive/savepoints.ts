import { Logger } from '@nestjs/common';
import { RefusedItem } from '@fedchat/chat';
import { EntityManager } from 'typeorm';

const log = new Logger('SyncReceiver');

/**
 * Applies one item of a message in a savepoint: a refusal or a database error undoes that item only, and its id goes
 * to `errors` (the SyncResponse list the sender reads).
 */
export async function applyItem(tx: EntityManager, errors: string[], id: string, apply: () => Promise<void>): Promise<void> {
  await tx.query('SAVEPOINT sync_item');
  try {
    await apply();
    await tx.query('RELEASE SAVEPOINT sync_item');
  } catch (err) {
    await tx.query('ROLLBACK TO SAVEPOINT sync_item');
    if (!(err instanceof RefusedItem)) log.error({ err, id }, 'sync item failed');
    else log.warn({ id, reason: err.message }, 'sync item refused');
    errors.push(id);
  }
}
