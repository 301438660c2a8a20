import {
  applyDecorators,
  ArgumentMetadata,
  CallHandler,
  Catch,
  Controller,
  ExecutionContext,
  Injectable,
  Logger,
  NestInterceptor,
  RpcExceptionFilter,
  UseFilters,
  UseInterceptors,
  UsePipes,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { toInstance } from '@fedchat/contracts';
import { ClassConstructor, instanceToPlain } from 'class-transformer';
import { catchError, Observable, tap, throwError } from 'rxjs';
import { AppError } from '../errors/app-error';
import { busMessages } from './bus-metrics';
import { BusContext } from './bus-server';
import { BusError } from './message-link';
import { errorMessage, toWireError } from './wire';

/**
 * Nest's ValidationPipe set for messages: a payload becomes an instance of its contract class (`@Payload() req:
 * SomeRequest`), unknown properties are refused, and a bad payload is a BusError `invalid_payload` naming every bad
 * path. The requester validates replies with the same pipe (Bus.request), so both ends judge alike.
 */
export class MessageValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validateCustomDecorators: true,
      forbidUnknownValues: false,
      transformerPackage: {
        plainToInstance: <T>(cls: ClassConstructor<T>, plain: unknown) => toInstance(cls as ClassConstructor<T & object>, plain),
        classToPlain: (object) => instanceToPlain(object),
      },
      exceptionFactory: (errors: ValidationError[]) =>
        new BusError(
          'invalid_payload',
          flatten(errors)
            .map(([path, problems]) => `${path}: ${problems}`)
            .join('; '),
        ),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata) && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new BusError('invalid_payload', 'expected a JSON object');
    }
    return super.transform(value, metadata);
  }
}

/** Validation errors as `path: problems`, nested properties included (`remote_cluster.create_at: ...`). */
function flatten(errors: ValidationError[], prefix = ''): [string, string][] {
  return errors.flatMap((e) => {
    const path = `${prefix}${e.property}`;
    const own: [string, string][] = e.constraints ? [[path, Object.values(e.constraints).join(', ')]] : [];
    return [...own, ...flatten(e.children ?? [], `${path}.`)];
  });
}

/**
 * Whatever a handler (or the pipe) threw crosses the bus as the wire envelope: an AppError keeps its id and status
 * code, so the gateway answers Mattermost's error JSON for a refusal made in another app.
 */
@Catch()
export class BusExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => toWireError(exception));
  }
}

/** Per-subject `fedchat_bus_messages_total{role="received"}` and the log line of a failed handler. */
@Injectable()
export class BusMetricsInterceptor implements NestInterceptor {
  private readonly log = new Logger('Bus');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const bus = context.switchToRpc().getContext<BusContext>();
    const subject = bus.getSubject();
    return next.handle().pipe(
      tap({ complete: () => busMessages.inc({ subject, role: 'received', outcome: 'ok' }) }),
      catchError((err: unknown) => {
        // A refusal the caller must see as such (e.g. 404, 403) is not a fault of the handler.
        const outcome = err instanceof AppError ? 'app_error' : err instanceof BusError ? err.code : 'handler_error';
        busMessages.inc({ subject, role: 'received', outcome });
        if (!bus.isRequest()) this.log.error({ subject, err: errorMessage(err) }, 'event handler failed');
        else if (outcome === 'handler_error') this.log.error({ subject, err: errorMessage(err) }, 'request handler failed');
        else if (outcome === 'invalid_payload') this.log.warn({ subject, err: errorMessage(err) }, 'message refused');
        return throwError(() => err);
      }),
    );
  }
}

/**
 * A class of message handlers (`@MessagePattern` / `@EventPattern` methods that call a service): the suite's
 * validation pipe, error filter and metrics interceptor apply to each of them. A controller for Nest, but no HTTP
 * route: kept out of the OpenAPI document.
 */
export function MessageHandlers(): ClassDecorator {
  return applyDecorators(
    Controller(),
    ApiExcludeController(),
    UsePipes(new MessageValidationPipe()),
    UseFilters(new BusExceptionFilter()),
    UseInterceptors(new BusMetricsInterceptor()),
  );
}
