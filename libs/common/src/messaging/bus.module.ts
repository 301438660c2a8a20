import { DynamicModule, Global, INestApplication, Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { Bus } from './bus';
import { BUS_CLIENT, BusClientProxy } from './bus-client';
import { BusServer, MESSAGE_LINK } from './bus-server';
import type { MessageLink } from './message-link';

/**
 * The suite's messaging over one link: the producers' side (a ClientProxy registered through ClientsModule, and the
 * typed Bus over it) and the handlers' side (the BusServer strategy; start it with `startMessageHandlers`).
 */
@Global()
@Module({})
export class BusModule {
  static forRoot(link: MessageLink, options: { requestTimeoutMs: number }): DynamicModule {
    return {
      module: BusModule,
      imports: [ClientsModule.register([{ name: BUS_CLIENT, customClass: BusClientProxy, options: { link, ...options } }])],
      providers: [{ provide: MESSAGE_LINK, useValue: link }, BusServer, Bus],
      exports: [MESSAGE_LINK, BusServer, Bus],
    };
  }
}

/**
 * Initialises the app (init and bootstrap hooks) and then starts its `@MessagePattern` / `@EventPattern` handlers, so
 * that no message reaches a handler whose services are not ready.
 */
export async function startMessageHandlers(app: INestApplication): Promise<void> {
  app.connectMicroservice({ strategy: app.get(BusServer) });
  await app.init();
  await app.startAllMicroservices();
}
