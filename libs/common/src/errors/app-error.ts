import { HttpException } from '@nestjs/common';

/**
 * Mattermost's AppError: `id` is the i18n id clients switch on; `message` is for people. Thrown anywhere in the suite;
 * it crosses the bus intact (see Bus), and the gateway renders it as Mattermost's error JSON.
 */
export class AppError extends HttpException {
  constructor(
    readonly errorId: string,
    message: string,
    statusCode: number,
    readonly detailedError = '',
  ) {
    super(message, statusCode);
  }

  static badRequest(id: string, message: string): AppError {
    return new AppError(id, message, 400);
  }

  /** Mattermost's "Invalid or missing <param> in request URL / body". */
  static invalidParam(param: string): AppError {
    return new AppError('api.context.invalid_param.app_error', `Invalid or missing ${param} in request.`, 400);
  }

  static unauthorized(id = 'api.context.session_expired.app_error', message = 'Invalid or expired session, please login again.'): AppError {
    return new AppError(id, message, 401);
  }

  static forbidden(permission?: string): AppError {
    const message = permission
      ? `You do not have the appropriate permissions (${permission}).`
      : 'You do not have the appropriate permissions.';
    return new AppError('api.context.permissions.app_error', message, 403);
  }

  static notFound(what: string, id = 'app.' + what + '.get.app_error'): AppError {
    return new AppError(id, `Unable to find the ${what}.`, 404);
  }

  static conflict(id: string, message: string): AppError {
    return new AppError(id, message, 409);
  }
}
