import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import type { User } from '@fedchat/models';
import { Reflector } from '@nestjs/core';
import { AuthGuard, Public, RequirePermission } from './auth.guard';
import type { AuthService } from './auth.service';

@RequirePermission(Permission.ManageSecureConnections)
@Controller('api/v4/x')
class GuardedByClass {
  @Get() list() {}
  @Public() @Get('open') open() {}
}

@Controller('api/v4/y')
class GuardedByRoute {
  @RequirePermission(Permission.ManageSecureConnections, Permission.ManageSharedChannels) @Get() invite() {}
  @Get('free') free() {}
}

function contextFor(cls: new () => object, method: string, path: string): { ctx: ExecutionContext; req: Record<string, unknown> } {
  const req: Record<string, unknown> = { path };
  const ctx = {
    getType: () => 'http',
    getHandler: () => (cls.prototype as Record<string, unknown>)[method],
    getClass: () => cls,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  return { ctx, req };
}

function guardFor(roles: string | undefined): AuthGuard {
  const user = { id: 'u'.repeat(26), roles } as User;
  const auth = {
    authenticateRequest: async () => (roles === undefined ? undefined : { user, sessionId: 's' }),
    csrfRefusal: () => undefined,
  };
  return new AuthGuard(new Reflector(), auth as unknown as AuthService);
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err instanceof AppError ? { status: err.getStatus(), id: err.errorId, message: err.message } : err;
  }
  return 'allowed';
}

describe('AuthGuard with @RequirePermission', () => {
  it('refuses a caller without the class permission with Mattermost 403, naming the permission', async () => {
    const { ctx } = contextFor(GuardedByClass, 'list', '/api/v4/x');
    expect(await refusal(guardFor('system_user').canActivate(ctx))).toEqual({
      status: 403,
      id: 'api.context.permissions.app_error',
      message: 'You do not have the appropriate permissions (manage_secure_connections).',
    });
  });

  it('reports the permission the route names when Mattermost reports another one', async () => {
    const { ctx } = contextFor(GuardedByRoute, 'invite', '/api/v4/y');
    expect(await refusal(guardFor('system_user').canActivate(ctx))).toMatchObject({
      status: 403,
      message: 'You do not have the appropriate permissions (manage_shared_channels).',
    });
  });

  it('lets a system admin through and records the session on the request', async () => {
    for (const [cls, method] of [
      [GuardedByClass, 'list'],
      [GuardedByRoute, 'invite'],
    ] as const) {
      const { ctx, req } = contextFor(cls, method, '/api/v4/x');
      expect(await refusal(guardFor('system_user system_admin').canActivate(ctx))).toBe('allowed');
      expect(req.auth).toMatchObject({ sessionId: 's' });
    }
  });

  it('lets any user through a route without a permission, and anyone through a public one', async () => {
    expect(await refusal(guardFor('system_user').canActivate(contextFor(GuardedByRoute, 'free', '/api/v4/y/free').ctx))).toBe('allowed');
    expect(await refusal(guardFor(undefined).canActivate(contextFor(GuardedByClass, 'open', '/api/v4/x/open').ctx))).toBe('allowed');
  });

  it('asks for a session before a permission: 401 without one', async () => {
    expect(await refusal(guardFor(undefined).canActivate(contextFor(GuardedByClass, 'list', '/api/v4/x').ctx))).toMatchObject({
      status: 401,
    });
  });

  it('grants nothing to a role named like an Object.prototype member', async () => {
    const { ctx } = contextFor(GuardedByClass, 'list', '/api/v4/x');
    expect(await refusal(guardFor('constructor __proto__ toString').canActivate(ctx))).toMatchObject({ status: 403 });
  });
});
