import type { INestApplication } from '@nestjs/common';
import { decodeMessage, MESSAGE_LINK, MessageLink } from '@fedchat/common';
import type { EventContract } from '@fedchat/contracts';

/**
 * Calls `observe` with every event of `contract` that crosses the app's link from now on. A test's observer, not a
 * consumer: it subscribes without a queue group, so it takes a copy and no handler of the app misses anything.
 */
export function tapEvents<E extends object>(app: INestApplication, contract: EventContract<E>, observe: (event: E) => void): void {
  app.get<MessageLink>(MESSAGE_LINK).subscribe(contract.subject, undefined, (msg) => {
    observe(decodeMessage(msg.data) as E);
  });
}
