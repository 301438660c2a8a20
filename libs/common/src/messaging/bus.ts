import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { EventContract, RpcContract } from '@fedchat/contracts';
import { lastValueFrom } from 'rxjs';
import { AppError } from '../errors/app-error';
import { BUS_CLIENT } from './bus-client';
import { busMessages, busRequestSeconds } from './bus-metrics';
import { MESSAGE_LINK } from './bus-server';
import { BusError, MessageLink } from './message-link';
import { MessageValidationPipe } from './message-pipeline';
import { errorMessage, fromWireError } from './wire';

/**
 * The typed face of the suite's ClientProxy: producers name a contract from `@fedchat/contracts` instead of a bare
 * subject, and a reply is validated against the contract's reply class here, by the requester, with the same pipe
 * the handlers' side uses. Errors come back as what the handler threw: an AppError stays an AppError.
 */
@Injectable()
export class Bus {
  private readonly log = new Logger('Bus');
  private readonly replies = new MessageValidationPipe();

  constructor(
    @Inject(BUS_CLIENT) private readonly client: ClientProxy,
    @Inject(MESSAGE_LINK) private readonly link: MessageLink,
  ) {}

  get transportKind(): MessageLink['kind'] {
    return this.link.kind;
  }

  isConnected(): boolean {
    return this.link.isConnected();
  }

  async request<Req extends object, Res extends object>(contract: RpcContract<Req, Res>, payload: Req): Promise<Res> {
    const subject = contract.subject;
    const stop = busRequestSeconds.startTimer({ subject });
    const fail = (err: Error) => {
      busMessages.inc({ subject, role: 'sent', outcome: outcomeOf(err) });
      return err;
    };
    try {
      let data: unknown;
      try {
        data = await lastValueFrom(this.client.send<unknown, Req>(subject, payload), { defaultValue: undefined });
      } catch (err) {
        throw fail(fromWireError(err));
      }
      let reply: Res;
      try {
        reply = (await this.replies.transform(data, { type: 'body', metatype: contract.reply })) as Res;
      } catch (err) {
        throw fail(new BusError('invalid_payload', `reply on ${subject}: ${errorMessage(err)}`));
      }
      busMessages.inc({ subject, role: 'sent', outcome: 'ok' });
      return reply;
    } finally {
      stop();
    }
  }

  /** Publishes an event; a failure (payload too large, link closed) is counted and logged, never thrown. */
  emit<E extends object>(contract: EventContract<E>, payload: E): void {
    this.client.emit<unknown, E>(contract.subject, payload).subscribe({
      complete: () => busMessages.inc({ subject: contract.subject, role: 'sent', outcome: 'ok' }),
      error: (raw: unknown) => {
        const err = fromWireError(raw);
        busMessages.inc({ subject: contract.subject, role: 'sent', outcome: outcomeOf(err) });
        this.log.error({ subject: contract.subject, err: errorMessage(err) }, 'event could not be published');
      },
    });
  }
}

function outcomeOf(err: Error): string {
  return err instanceof BusError ? err.code : err instanceof AppError ? 'app_error' : 'error';
}
