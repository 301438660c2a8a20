import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';

/** Flips when shutdown begins, so readiness fails at once and load balancers stop sending traffic. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private stopping = false;

  get isShuttingDown(): boolean {
    return this.stopping;
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }
}
