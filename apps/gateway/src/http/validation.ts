import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError } from '@fedchat/common';
import { toInstance } from '@fedchat/contracts';
import { ClassConstructor, instanceToPlain } from 'class-transformer';

/**
 * Nest's pipe deletes `constructor`, `__proto__` and `prototype` keys from the whole input in place, free-form JSON
 * (post props) included, and hands the rest to class-transformer, which drops or trips on other prototype-named keys.
 * `toInstance` keeps those keys out of class-transformer on a copy and puts `@RawJson()` properties back as received.
 */
class RawJsonValidationPipe extends ValidationPipe {
  protected override stripProtoKeys(): void {}
}

/** Validates bodies and queries against their DTO classes; a bad one becomes Mattermost's 400 invalid-param error. */
export const apiValidationPipe = new RawJsonValidationPipe({
  whitelist: true,
  transform: true,
  transformerPackage: {
    plainToInstance: <T>(cls: ClassConstructor<T>, plain: unknown) => toInstance(cls as ClassConstructor<T & object>, plain),
    classToPlain: (object) => instanceToPlain(object),
  },
  exceptionFactory: (errors: ValidationError[]) => {
    const first = errors[0];
    const reason = first ? Object.values(first.constraints ?? {}).join(', ') || 'invalid' : 'invalid';
    return new AppError(
      'api.context.invalid_body_param.app_error',
      `Invalid or missing ${first?.property ?? 'body'} in request body: ${reason}.`,
      400,
    );
  },
});
