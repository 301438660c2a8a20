import { HttpException } from '@nestjs/common';

/** Mattermost's AppError: `id` is the i18n id clients switch on; `message` is for people. */
export class AppError extends HttpException {
  constructor(
    readonly errorId: string,
    message: string,
    statusCode: number,
    readonly detailedError = '',
  ) {
    super(message, statusCode);
  }
}
