import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AppError } from '@fedchat/common';
import { isValidId } from '@fedchat/crypto';
import type { User } from '@fedchat/models';
import { ApiParam } from '@nestjs/swagger';
import type { AuthedRequest } from '../auth/auth.guard';

/** Mattermost's answer to a malformed id in the URL path. */
export function invalidUrlParam(name: string): AppError {
  return new AppError('api.context.invalid_url_param.app_error', `Invalid or missing ${name} in request URL.`, 400);
}

/** A user id from a request body, with Mattermost's `me` alias for the caller; 400 invalid-param when malformed. */
export function userIdOrMe(caller: User, userId: string): string {
  const id = userId === 'me' ? caller.id : userId;
  if (!isValidId(id)) throw AppError.invalidParam('user_id');
  return id;
}

/** The `{user_id}` path value `value` for `caller`: `me` is the caller's id; anything else must be a well-formed id. */
export function resolvePathUserId(caller: User | undefined, value: unknown): string {
  if (!caller) throw AppError.unauthorized();
  const id = value === 'me' ? caller.id : value;
  if (typeof id !== 'string' || !isValidId(id)) throw invalidUrlParam('user_id');
  return id;
}

/** Documents the path parameter, which Swagger cannot see behind a custom parameter decorator. */
function documentUserIdParam(target: object, key: string | symbol | undefined): void {
  const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
  if (key !== undefined && descriptor)
    ApiParam({ name: 'user_id', type: String, description: 'A user id, or `me` for the caller' })(target, key, descriptor);
}

/**
 * The `{user_id}` path parameter of a guarded route, as Mattermost's RequireUserId reads it: `me` is the caller's
 * id, anything else must be a well-formed id (400 invalid_url_param otherwise).
 */
export const UserIdParam = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string => {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    return resolvePathUserId(req.auth?.user, req.params.user_id);
  },
  [documentUserIdParam],
);
