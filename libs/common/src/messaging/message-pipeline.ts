import {
  applyDecorators,
  ArgumentMetadata,
  Catch,
  Controller,
  RpcExceptionFilter,
  UseFilters,
  UsePipes,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { contractTransformer, toInstance } from '@fedchat/contracts';
import { ClassConstructor } from 'class-transformer';
import { Observable, throwError } from 'rxjs';
import { BusError } from './message-link';
import { toWireError } from './wire';

/**
 * Payloads the transport hands to a handler as they are, without validation: events on the in-process link, which
 * only this process's own code can have emitted through `Bus`, from data it already holds (a peer's input is
 * validated where it enters: HTTP, or the `peer.*.received` requests). Marked by `BusServer`, read by the pipe.
 */
const trustedPayloads = new WeakSet<object>();

/** Lets `value` through the pipe unvalidated (see `trustedPayloads`); only `BusServer` decides this. */
export function passUnvalidated<T>(value: T): T {
  if (typeof value === 'object' && value !== null) trustedPayloads.add(value);
  return value;
}

/**
 * Nest's ValidationPipe set for messages: a payload becomes an instance of its contract class (`@Payload() req:
 * SomeRequest`), unknown properties are refused, and a bad payload is a BusError `invalid_payload` naming every bad
 * path. The requester validates replies with the same pipe (Bus.request), so both ends judge alike.
 *
 * `transform` is the pipe's own: what it gets was just parsed from the wire's JSON, which has no sparse arrays, no
 * binary values and (after `toInstance`) no prototype-named keys, so the three walks of the whole value that Nest's
 * pipe makes for HTTP input are left out (they were a quarter of the CPU of a bus hop).
 */
export class MessageValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
      transformerPackage: contractTransformer,
      // `@Ctx()` is a custom parameter: the BusContext is the transport's, not a payload to validate.
      validateCustomDecorators: false,
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
    const contract = metadata.metatype as ClassConstructor<object> | undefined;
    if (!contract || !this.toValidate(metadata)) return value;
    // The decoded JSON as it was emitted: the handler reads its fields, which are the contract's (the producer is typed).
    if (typeof value === 'object' && value !== null && trustedPayloads.has(value)) return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new BusError('invalid_payload', 'expected a JSON object');
    }
    const message = toInstance(contract, value);
    const errors = await this.validate(message, this.validatorOptions);
    if (errors.length > 0) throw await this.exceptionFactory(errors);
    return message;
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

/**
 * A class of message handlers (`@MessagePattern` / `@EventPattern` methods that call a service): the suite's
 * validation pipe and error filter apply to each of them. A controller for Nest, but no HTTP
 * route: kept out of the OpenAPI document. Metrics and failure logs are the transport's (BusServer).
 */
export function MessageHandlers(): ClassDecorator {
  return applyDecorators(Controller(), ApiExcludeController(), UsePipes(new MessageValidationPipe()), UseFilters(new BusExceptionFilter()));
}
