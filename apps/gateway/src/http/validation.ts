import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError } from '@fedchat/common';
import { contractTransformer } from '@fedchat/contracts';

/**
 * A body DTO whose common shape can be taken without class-transformer and class-validator: `quickParse` returns the
 * instance the full pipe would build for a body it is sure about, or undefined for anything else (including every
 * invalid body), which then goes through the full pipe and gets its usual error. For the hottest routes only.
 */
export interface QuickBody {
  quickParse(value: unknown): object | undefined;
}

/**
 * Nest's pipe deletes `constructor`, `__proto__` and `prototype` keys from the whole input in place, free-form JSON
 * (post props) included, and hands the rest to class-transformer, which drops or trips on other prototype-named keys.
 * `toInstance` keeps those keys out of class-transformer on a copy and puts `@RawJson()` properties back as received.
 */
class RawJsonValidationPipe extends ValidationPipe {
  protected override stripProtoKeys(): void {}

  /**
   * Mattermost decodes bodies into Go structs, where a JSON `null` is the same as an absent field (a nil pointer in a
   * patch, a zero value elsewhere). Handlers here test for `undefined`, so a top-level `null` that passed validation
   * (`@IsOptional()` lets it through) is removed rather than written as SQL NULL into a NOT NULL column. Only DTO
   * bodies: a body taken as plain JSON is left as sent.
   */
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const quick = (metadata.metatype as Partial<QuickBody> | undefined)?.quickParse?.(value);
      if (quick !== undefined) return quick;
    }
    const result: unknown = await super.transform(value, metadata);
    if (metadata.type === 'body' && metadata.metatype && result instanceof metadata.metatype) {
      for (const key of Object.keys(result))
        if ((result as Record<string, unknown>)[key] === null) delete (result as Record<string, unknown>)[key];
    }
    return result;
  }
}

/** Validates bodies and queries against their DTO classes; a bad one becomes Mattermost's 400 invalid-param error. */
export const apiValidationPipe = new RawJsonValidationPipe({
  whitelist: true,
  transform: true,
  transformerPackage: contractTransformer,
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
