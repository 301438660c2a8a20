import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { AppError } from '@fedchat/common';
import type { Request, Response } from 'express';

/** Error ids by status for errors raised by the framework rather than by our handlers. */
const GENERIC_IDS: Record<number, string> = {
  400: 'api.context.invalid_param.app_error',
  401: 'api.context.session_expired.app_error',
  403: 'api.context.permissions.app_error',
  404: 'api.context.404.app_error',
  405: 'api.context.method_not_allowed.app_error',
  413: 'api.context.request_body_too_large.app_error',
  415: 'api.context.invalid_body_param.app_error',
  501: 'api.context.not_implemented.app_error',
};

/**
 * Every error under /api/v4 leaves as Mattermost's AppError JSON `{id, message, detailed_error, request_id,
 * status_code}`. Unexpected errors become a 500 whose body says nothing about internals (the log has it).
 */
@Catch()
export class MattermostErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: unknown }>();
    const res = ctx.getResponse<Response>();
    const status = exception instanceof HttpException ? exception.getStatus() : statusOfBodyParserError(exception);
    let id = GENERIC_IDS[status] ?? 'api.context.app_error';
    let message = 'An error occurred.';
    let detailed = '';
    if (exception instanceof AppError) {
      id = exception.errorId;
      message = exception.message;
      detailed = exception.detailedError;
    } else if (exception instanceof HttpException) {
      message = describe(exception);
    } else if (status === HttpStatus.INTERNAL_SERVER_ERROR) {
      this.logger.error({ err: exception instanceof Error ? exception.stack : String(exception), url: req.path }, 'unhandled error');
    } else {
      message = (exception as Error).message;
    }
    writeAppError(req, res, { status, id, message, detailed });
  }
}

/** Express error middleware for failures before routing (body parsing: bad JSON 400, too large 413). */
export function bodyParserErrorHandler(err: unknown, req: Request, res: Response, next: (err?: unknown) => void): void {
  const status = statusOfBodyParserError(err);
  if (status === HttpStatus.INTERNAL_SERVER_ERROR) return next(err);
  const id = GENERIC_IDS[status] ?? 'api.context.app_error';
  writeAppError(req, res, { status, id, message: (err as Error).message, detailed: '' });
}

/** Writes Mattermost's AppError JSON (nothing when the response has started). */
export function writeAppError(
  req: Request & { id?: unknown },
  res: Response,
  e: { status: number; id: string; message: string; detailed: string },
): void {
  if (res.headersSent) return;
  res
    .status(e.status)
    .json({ id: e.id, message: e.message, detailed_error: e.detailed, request_id: String(req.id ?? ''), status_code: e.status });
}

function describe(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const msg = (body as { message?: unknown }).message;
  if (Array.isArray(msg)) return msg.join('; ');
  return typeof msg === 'string' ? msg : exception.message;
}

/**
 * body-parser errors carry a status (400 bad JSON or a body that does not inflate, 413 too large, 415 charset or
 * encoding) but are not HttpExceptions. They are http-errors: a `type`, or (an inflate failure wraps zlib's error
 * without one) `expose`, which http-errors sets on client errors only.
 */
function statusOfBodyParserError(exception: unknown): number {
  const status = (exception as { status?: unknown; type?: unknown })?.status;
  const fromParser = typeof (exception as { type?: unknown })?.type === 'string' || (exception as { expose?: unknown })?.expose === true;
  return fromParser && typeof status === 'number' && status >= 400 && status < 500 ? status : HttpStatus.INTERNAL_SERVER_ERROR;
}
