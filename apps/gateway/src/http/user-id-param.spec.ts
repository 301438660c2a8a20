import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { AppError } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import type { User } from '@fedchat/models';
import { UserIdParam, userIdOrMe } from './user-id-param';

@Controller('api/v4/users')
class Probe {
  @Get(':user_id/x') handle(@UserIdParam() userId: string) {
    return userId;
  }
}

/** @nestjs/swagger's metadata key for @ApiParam() (its constants are not exported). */
const API_PARAMETERS = 'swagger/apiParameters';

type Factory = (data: unknown, ctx: ExecutionContext) => string;

/** The value `@UserIdParam()` hands the handler for a request with these path params and caller. */
function resolve(params: Record<string, unknown>, caller?: Pick<User, 'id'>): unknown {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handle') as Record<string, { factory: Factory; data: unknown }>;
  const { factory, data } = Object.values(args)[0];
  const req = { params, auth: caller ? { user: caller } : undefined };
  const ctx = { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
  try {
    return factory(data, ctx);
  } catch (err) {
    return err instanceof AppError ? { status: err.getStatus(), id: err.errorId, message: err.message } : err;
  }
}

describe('@UserIdParam()', () => {
  const caller = { id: newId() };
  const other = newId();

  it('resolves me to the caller and passes a well-formed id through', () => {
    expect(resolve({ user_id: 'me' }, caller)).toBe(caller.id);
    expect(resolve({ user_id: other }, caller)).toBe(other);
  });

  it.each(['not-an-id', '', 'ME', `${other}x`, other.toUpperCase(), '../me', 'me '])('answers 400 invalid_url_param for %j', (value) => {
    expect(resolve({ user_id: value }, caller)).toEqual({
      status: 400,
      id: 'api.context.invalid_url_param.app_error',
      message: 'Invalid or missing user_id in request URL.',
    });
  });

  it('answers 400 when the parameter is missing or not a string', () => {
    expect(resolve({}, caller)).toMatchObject({ status: 400, id: 'api.context.invalid_url_param.app_error' });
    expect(resolve({ user_id: ['me'] }, caller)).toMatchObject({ status: 400 });
  });

  it('answers 401 without a session (it is only for guarded routes)', () => {
    expect(resolve({ user_id: 'me' })).toMatchObject({ status: 401 });
  });

  it('documents user_id as a path parameter for the OpenAPI document', () => {
    const params = Reflect.getMetadata(API_PARAMETERS, Probe.prototype.handle) as Array<{ name: string; in: string }>;
    expect(params).toEqual([expect.objectContaining({ name: 'user_id', in: 'path', required: true })]);
  });
});

describe('userIdOrMe (ids in bodies)', () => {
  it('resolves me and refuses a malformed id with invalid_param, as bodies do', () => {
    const caller = { id: newId() } as User;
    expect(userIdOrMe(caller, 'me')).toBe(caller.id);
    expect(() => userIdOrMe(caller, 'nope')).toThrow(expect.objectContaining({ errorId: 'api.context.invalid_param.app_error' }));
  });
});
