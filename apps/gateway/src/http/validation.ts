import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError } from '@fedchat/common';

/** Validates bodies and queries against their DTO classes; a bad one becomes Mattermost's 400 invalid-param error. */
export const apiValidationPipe = new ValidationPipe({
  whitelist: true,
  transform: true,
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
