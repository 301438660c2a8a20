import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { hasPermission, Permission } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthContext, AuthService } from './auth.service';

export { tokenFrom } from './token';

const PUBLIC = 'fedchat:public';

/** Marks a route that needs no user session (login, sign-up, ping; peer routes authenticate themselves). */
export const Public = () => SetMetadata(PUBLIC, true);

const REQUIRED_PERMISSION = 'fedchat:required-permission';

interface RequiredPermission {
  permission: Permission;
  reportAs: Permission;
}

/**
 * A system permission the route needs whatever it is asked about; the guard answers 403 before the handler runs.
 * `reportAs` names the permission in the error where Mattermost reports another one. Checks that depend on the
 * resource (membership, "self or edit_other_users") stay in the services.
 */
export const RequirePermission = (permission: Permission, reportAs: Permission = permission) =>
  SetMetadata(REQUIRED_PERMISSION, { permission, reportAs } satisfies RequiredPermission);

export type AuthedRequest = Request & { auth?: AuthContext };

/**
 * Every /api/v4 route needs a valid session unless marked @Public(), and the system permission of its
 * @RequirePermission() if any; health and metrics are not API routes. A session cookie counts for a request that
 * changes something only with the session's CSRF token (see AuthService.csrfRefusal).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    if (!req.path.startsWith('/api/v4/')) return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const auth = await this.auth.authenticateRequest(req);
    if (!auth) throw AppError.unauthorized();
    const csrfRefusal = this.auth.csrfRefusal(req, auth);
    if (csrfRefusal) throw csrfRefusal;
    req.auth = auth;
    const required = this.reflector.getAllAndOverride<RequiredPermission | undefined>(REQUIRED_PERMISSION, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (required && !hasPermission(auth.user.roles, required.permission)) throw AppError.forbidden(required.reportAs);
    return true;
  }
}

/** The authenticated caller of a guarded route. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const auth = ctx.switchToHttp().getRequest<AuthedRequest>().auth;
  if (!auth) throw AppError.unauthorized();
  return auth.user;
});

export const CurrentAuth = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const auth = ctx.switchToHttp().getRequest<AuthedRequest>().auth;
  if (!auth) throw AppError.unauthorized();
  return auth;
});
