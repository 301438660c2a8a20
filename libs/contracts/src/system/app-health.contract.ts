import { IsIn, IsInt, IsString, Min } from 'class-validator';
import { defineRpc, RpcContract } from '../contract';
import { BACKEND_APPS } from '../apps';

/** `<app>.app.health`: asks one replica of an app whether it and its database work. */
export class AppHealthRequest {}

export class AppHealthReply {
  @IsIn(BACKEND_APPS)
  app: string;

  @IsString()
  instance: string;

  @IsIn(['OK', 'UNHEALTHY'])
  status: 'OK' | 'UNHEALTHY';

  @IsIn(['OK', 'UNHEALTHY'])
  database_status: 'OK' | 'UNHEALTHY';

  @IsInt()
  @Min(0)
  uptime_ms: number;
}

export type AppHealthContract = RpcContract<AppHealthRequest, AppHealthReply>;

const contracts = new Map<string, AppHealthContract>(
  BACKEND_APPS.map((app) => [app, defineRpc(`${app}.app.health`, AppHealthRequest, AppHealthReply)]),
);

export function appHealthContract(app: (typeof BACKEND_APPS)[number]): AppHealthContract {
  return contracts.get(app)!;
}
